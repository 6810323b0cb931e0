package envtest

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// KubeVirt's VMI has no status subresource, so virt-handler's status writes are plain
// updates. The shipped matchConditions keep those away from the webhook: with the webhook
// down (and failurePolicy Fail), a status-only VMI update still goes through while an
// interface change is refused. That proves the API server skipped the call.
func TestVMIStatusUpdatesSkipTheWebhook(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vmi("reported",
		[]iface{{name: "default", binding: "masquerade"}, {name: "sec", binding: "bridge"}},
		[]network{{"default", "pod"}, {"sec", "multus"}}))); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := env.StopWebhook(); err != nil {
		t.Fatalf("stopping the webhook: %v", err)
	}
	t.Cleanup(func() {
		if err := env.StartWebhook(ctx); err != nil {
			t.Fatalf("restarting the webhook: %v", err)
		}
	})

	stored := get(t, vmiGVK, ns, "reported")
	status := []any{map[string]any{"name": "default", "linkState": "up"}, map[string]any{"name": "sec", "linkState": "down"}}
	if err := unstructured.SetNestedSlice(stored.Object, status, "status", "interfaces"); err != nil {
		t.Fatal(err)
	}
	stored.SetLabels(map[string]string{"reported": "yes"})
	if err := c.Update(ctx, stored); err != nil {
		t.Fatalf("status-only VMI update with the webhook down: %v (the matchCondition should skip the call)", err)
	}

	stored = get(t, vmiGVK, ns, "reported")
	setStates(t, stored, map[string]string{"sec": "linkDown"})
	err := c.Update(ctx, stored)
	if err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Fatalf("interface change with the webhook down: err = %v, want the API server to have tried the webhook", err)
	}
}
