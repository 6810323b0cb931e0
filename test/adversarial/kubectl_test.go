package adversarial

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// identity is someone who runs kubectl: a kubeconfig of their own, and a discovery cache
// of their own (kubectl caches what the API server serves, per user).
type identity struct {
	// who is how the README table names them.
	who        string
	kubeconfig string
	cacheDir   string
	config     *rest.Config
}

// newIdentity authenticates as user (in groups) with a client certificate of envtest's CA.
func newIdentity(who, user string, groups ...string) (*identity, error) {
	u, err := env.Env.AddUser(envtest.User{Name: user, Groups: groups}, nil)
	if err != nil {
		return nil, fmt.Errorf("adding user %s: %w", user, err)
	}
	kubeconfig, err := u.KubeConfig()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(workDir, ".identities", strings.NewReplacer(":", "_", "/", "_").Replace(user))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return nil, err
	}
	return &identity{who: who, kubeconfig: path, cacheDir: filepath.Join(dir, "cache"), config: u.Config()}, nil
}

// result is one kubectl run: its exit status and what it printed (stdout and stderr, in
// the order a terminal shows them).
type result struct {
	code int
	out  string
}

// kubectl runs the kubectl of KUBEBUILDER_ASSETS as who, in workDir, with exactly args.
func kubectl(t *testing.T, who *identity, args ...string) result {
	t.Helper()
	r, err := who.run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run is kubectl as who; the error is for a kubectl that could not run at all.
func (who *identity) run(args ...string) (result, error) {
	cmd := exec.Command(filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl"), args...)
	cmd.Dir = workDir
	cmd.Env = []string{"KUBECONFIG=" + who.kubeconfig, "KUBECACHEDIR=" + who.cacheDir, "HOME=" + filepath.Dir(who.kubeconfig)}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return result{0, out.String()}, nil
	case errors.As(err, &exit):
		return result{exit.ExitCode(), out.String()}, nil
	default:
		return result{}, fmt.Errorf("running kubectl %s: %w", strings.Join(args, " "), err)
	}
}

// mustKubectl runs kubectl as who and fails the test unless it succeeds.
func mustKubectl(t *testing.T, who *identity, args ...string) string {
	t.Helper()
	r := kubectl(t, who, args...)
	if r.code != 0 {
		t.Fatalf("kubectl %s (as %s): exit status %d\n%s", strings.Join(args, " "), who.who, r.code, r.out)
	}
	return r.out
}

// shellSafe are the arguments a shell takes as they are.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=,@%+-]+$`)

// commandLine is args as one would type them: arguments a shell would split or expand
// are single-quoted.
func commandLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if shellSafe.MatchString(a) {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return "kubectl " + strings.Join(quoted, " ")
}
