// Package envtest runs linkstate-webhook's stories against a real kube-apiserver and etcd,
// with KubeVirt's CRDs (real schemas), the webhook configurations shipped in
// config/webhook, and the webhook binary serving over TLS. Every assertion is on what the
// API server stored or returned to the client.
package envtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// One environment for the package: starting the API server takes seconds.
var (
	env      *harness.Env
	c        client.Client
	warnings = &harness.WarningRecorder{}
	nsSeq    atomic.Int32
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	log := &harness.LogBuffer{}
	env, err = harness.Start(context.Background(), harness.Options{WebhookLog: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest suite:", err, "\n--- webhook log ---\n", log.String())
		if env != nil {
			_ = env.Stop()
		}
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the environment:", err)
		}
	}()
	cfg := harness.Unthrottled(env.Config)
	cfg.WarningHandlerWithContext = warnings
	if c, err = client.New(cfg, client.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- webhook log ---\n%s\n", log)
	}
	return code
}

// namespace creates a fresh namespace for one test.
func namespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", nsSeq.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return name
}

// object parses a YAML manifest into an unstructured object in namespace ns.
func object(t *testing.T, ns, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatalf("bad test manifest: %v\n%s", err, manifest)
	}
	u.SetNamespace(ns)
	return u
}
