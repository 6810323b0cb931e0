// Package adversarial is the proof that a tenant cannot switch linkstate-webhook's rules
// off or get around them (issue #17). A tenant with the rights a namespace admin usually
// has — everything on KubeVirt's objects in their namespaces, and get, update and patch on
// those namespaces themselves — drives kubectl against a real kube-apiserver and etcd with
// KubeVirt's CRDs, the shipped webhook configurations (config/webhook), the shipped guard
// of the opt-out label (config/optout, applied with `kubectl apply -k`) and the real
// webhook binary over TLS. Each attempt states the exit status and message kubectl must
// show, and reads back what the API server stored. README.md's table of attempts is
// rendered from the same list (readme_test.go keeps the two equal).
package adversarial

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// One environment for the package: starting the API server takes seconds.
var (
	env *harness.Env
	// admin is a system:masters client that sets up fixtures and reads back what was stored.
	admin client.Client
	// workDir is where kubectl runs: the manifests and patches the attempts send are here,
	// under the names the README table shows.
	workDir string
	// webhookLog is the binary's output, printed when a test fails.
	webhookLog = &harness.LogBuffer{}
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	started := time.Now()
	var err error
	if workDir, err = os.MkdirTemp("", "linkstate-adversarial-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	env, err = harness.Start(context.Background(), harness.Options{WebhookLog: webhookLog})
	if err != nil {
		fmt.Fprintln(os.Stderr, "adversarial suite:", err, "\n--- webhook log ---\n", webhookLog.String())
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
	if admin, err = client.New(cfg, client.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := setUp(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "adversarial suite: setting up:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "adversarial suite: API server, webhook, guard and fixtures ready in %v\n", time.Since(started).Round(time.Millisecond))
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- webhook log ---\n%s\n", webhookLog)
	}
	return code
}

// manifestPath is where a named manifest of the suite lives.
func manifestPath(name string) string { return filepath.Join(workDir, name) }
