// Package kubectl runs `kubectl linkstate` — the plugin binary, as a subprocess, the way a
// VM owner runs it — against a real kube-apiserver and etcd with KubeVirt's CRDs and the
// real webhook (test/harness). No KubeVirt controllers run here: a test goroutine plays
// virt-controller and virt-handler where a test needs a running VM (see handler_test.go).
package kubectl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// One environment for the package: starting the API server takes seconds.
var (
	env *harness.Env
	// c is an admin client for setting up and reading back.
	c client.Client
	// plugin is the built kubectl-linkstate; home an empty $HOME for its runs.
	plugin, home string
	nsSeq        atomic.Int32
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kubectl-linkstate-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	plugin, home = filepath.Join(dir, "bin", "kubectl-linkstate"), filepath.Join(dir, "home")
	// The plugin links while the API server starts: each takes seconds.
	built := make(chan error, 1)
	go func() {
		build := exec.Command("go", "build", "-o", plugin, "./cmd/kubectl-linkstate")
		build.Dir = harness.Root()
		if out, err := build.CombinedOutput(); err != nil {
			built <- fmt.Errorf("building kubectl-linkstate: %w\n%s", err, out)
		}
		close(built)
	}()
	log := &harness.LogBuffer{}
	env, err = harness.Start(context.Background(), harness.Options{WebhookLog: log})
	if buildErr := <-built; buildErr != nil && err == nil {
		err = buildErr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubectl suite:", err, "\n--- webhook log ---\n", log.String())
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
	if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return name
}

// result is one run of the plugin.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit status %d\n--- stdout ---\n%s--- stderr ---\n%s", r.code, r.stdout, r.stderr)
}

// invocation is how a test runs the plugin.
type invocation struct {
	kubeconfig string
	stdin      string
}

// cli runs `kubectl linkstate ARGS` as the admin.
func cli(t *testing.T, args ...string) result {
	t.Helper()
	return invocation{kubeconfig: env.Kubeconfig}.run(t, args...)
}

// run runs the plugin with a kubeconfig and nothing else from the environment that could
// change its behaviour (no KUBECONFIG, an empty HOME).
func (i invocation) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, plugin, append([]string{"--kubeconfig", i.kubeconfig}, args...)...)
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
	cmd.Stdin = strings.NewReader(i.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running kubectl-linkstate %q: %v", args, err)
	}
	return r
}

// expect checks the exit status and that stdout and stderr hold the fragments given.
func (r result) expect(t *testing.T, code int, stdout, stderr []string) {
	t.Helper()
	if r.code != code {
		t.Errorf("want exit status %d; got %s", code, r)
		return
	}
	for _, s := range stdout {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q; got %s", s, r)
		}
	}
	for _, s := range stderr {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q; got %s", s, r)
		}
	}
}
