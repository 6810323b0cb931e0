// Package audit tests the background scan end to end: the real webhook binary with
// --audit against a real kube-apiserver and etcd (envtest) serving KubeVirt's and
// OpenReports' CRDs. VMs that violate the rules are created where the webhook does not
// look; the tests read the Reports the binary writes, as `kubectl get reports` would.
package audit

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

var (
	env      *harness.Env
	c        client.Client
	warnings = &harness.WarningRecorder{}
	log      = &harness.LogBuffer{}
	nsSeq    atomic.Int32
	// metricsAddr is where the registered webhook (the first leader) serves /metrics.
	metricsAddr string
)

// Fast leader election, so a stopped leader is replaced within a second or two; a full
// scan every few seconds, so the tests see one.
var auditArgs = []string{
	"--dialect=seed",
	"--audit",
	"--audit-interval=3s",
	"--leader-election-lease-duration=4s",
	"--leader-election-renew-deadline=3s",
	"--leader-election-retry-period=250ms",
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if metricsAddr, err = freeAddr(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, err = harness.Start(context.Background(), harness.Options{
		WebhookArgs: append([]string{"--metrics-bind-address=" + metricsAddr}, auditArgs...),
		WebhookLog:  log,
		CRDPaths:    []string{harness.OpenReportsCRDs()},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "audit suite:", err, "\n--- webhook log ---\n", log.String())
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
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{v1.AddToScheme, reportsv1alpha1.AddToScheme, corev1.AddToScheme, coordinationv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(scheme); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	cfg := harness.Unthrottled(env.Config)
	cfg.WarningHandlerWithContext = warnings
	if c, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- webhook log ---\n%s\n", log)
	}
	return code
}

// namespace creates a fresh namespace for one test; optOut labels it so that the webhook
// is not called for it (the chart's and config/'s namespaceSelector): what is created
// there was never admitted by linkstate-webhook.
func namespace(t *testing.T, optOut bool) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", nsSeq.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if optOut {
		ns.Labels = map[string]string{"linkstate.kubevirt.io/webhook": "disabled"}
	}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return name
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
