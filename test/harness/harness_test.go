package harness

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// A client built from Unthrottled has no rate limiter at all; from the config it copies,
// client-go's default one (5 requests/s).
func TestUnthrottledBuildsNoLimiter(t *testing.T) {
	base := &rest.Config{Host: "https://127.0.0.1:1", ContentConfig: rest.ContentConfig{
		GroupVersion: &schema.GroupVersion{Version: "v1"}, NegotiatedSerializer: scheme.Codecs}}
	limiter := func(cfg *rest.Config) any {
		c, err := rest.RESTClientFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c.GetRateLimiter()
	}
	if limiter(base) == nil {
		t.Fatal("the base config should get client-go's default limiter")
	}
	if got := limiter(Unthrottled(base)); got != nil {
		t.Fatalf("Unthrottled: client has a rate limiter %T", got)
	}
	if base.QPS != 0 {
		t.Fatalf("Unthrottled changed the config it copies: QPS %v", base.QPS)
	}
}
