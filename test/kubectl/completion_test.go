package kubectl

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// Shell completion speaks cobra's __complete protocol: one candidate per line, then
// :DIRECTIVE (4: no file completion; 6: that, and no space after the candidate).
func TestCompletion(t *testing.T) {
	ns := namespace(t)
	createVM(t, ns, "web", append(webIfaces, iface{name: "gone", binding: "bridge", state: "absent"})...)
	createVM(t, ns, "db", iface{name: "default", binding: "masquerade", pod: true})
	createVMI(t, ns, "solo", nil, iface{name: "blue", binding: "bridge"})

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"resource types", []string{"get", ""}, "vm\nvmi\n:4\n"},
		{"VM names", []string{"get", "vm", ""}, "db\nweb\n:4\n"},
		{"VMI names", []string{"set", "vmi", ""}, "solo\n:4\n"},
		{"kind/name", []string{"unplug", "vm/"}, "vm/db\nvm/web\n:4\n"},
		{"interfaces to set, not unplugged ones", []string{"set", "vm", "web", ""}, "default=\nblue=\nfast=\n:6\n"},
		{"interfaces not set yet", []string{"set", "vm/web", "blue=down", ""}, "default=\nfast=\n:6\n"},
		{"states", []string{"set", "vm", "web", "blue="}, "blue=up\nblue=down\n:4\n"},
		{"states, typed on", []string{"set", "vm", "web", "blue=d"}, "blue=down\n:4\n"},
		{"by prefix", []string{"set", "vm", "web", "f"}, "fast=\n:6\n"},
		{"interfaces to unplug", []string{"unplug", "vm", "web", "blue", ""}, "default\nfast\n:4\n"},
		{"a VM that is not there", []string{"set", "vm", "nope", ""}, ":1\n"},
		{"get takes no interfaces", []string{"get", "vm", "web", ""}, ":4\n"},
		{"--dialect", []string{"set", "vm", "web", "--dialect", ""}, "seed\nupstream\n:4\n"},
		{"--output", []string{"get", "vm", "-o", ""}, "wide\njson\nyaml\n:4\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, append([]string{"-n", ns, "__complete"}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("%s", r)
			}
			if diff := cmp.Diff(tc.want, r.stdout); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	t.Run("namespaces", func(t *testing.T) {
		r := cli(t, "__complete", "get", "vm", "-n", "")
		if !strings.Contains(r.stdout, "\n"+ns+"\n") || !strings.HasSuffix(r.stdout, ":4\n") {
			t.Errorf("namespace %s not offered: %s", ns, r)
		}
	})

	t.Run("kubeconfig contexts", func(t *testing.T) {
		raw, err := os.ReadFile(env.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := clientcmd.Load(raw)
		if err != nil {
			t.Fatal(err)
		}
		r := cli(t, "__complete", "get", "vm", "--context", "")
		if want := cfg.CurrentContext + "\n:4\n"; r.stdout != want {
			t.Errorf("got %q, want %q", r.stdout, want)
		}
	})

	t.Run("shell scripts", func(t *testing.T) {
		for _, shell := range []string{"bash", "zsh", "fish"} {
			r := cli(t, "completion", shell)
			r.expect(t, 0, []string{"__complete"}, nil)
		}
	})
}

// Through kubectl itself: kubectl finds kubectl-linkstate on PATH and runs it, and completes
// `kubectl linkstate …` through kubectl_complete-linkstate (kubectl >= 1.26).
func TestThroughKubectl(t *testing.T) {
	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		t.Fatalf("kubectl is not among the envtest assets (hack/envtest-assets.sh builds it): %v", err)
	}
	ns := namespace(t)
	createVM(t, ns, "web", webIfaces...)
	bin := filepath.Dir(plugin)
	complete := filepath.Join(bin, "kubectl_complete-linkstate")
	script, err := os.ReadFile(filepath.Join(harness.Root(), "plugins", "kubectl_complete-linkstate"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(complete, script, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(kubectl, args...)
		cmd.Env = []string{"HOME=" + home, "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "KUBECONFIG=" + env.Kubeconfig}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kubectl %q: %v\n%s%s", args, err, out, stderr.String())
		}
		return string(out)
	}
	if out := run("plugin", "list"); !strings.Contains(out, filepath.Join(bin, "kubectl-linkstate")) {
		t.Errorf("kubectl plugin list does not find the plugin:\n%s", out)
	}
	if out := run("linkstate", "-n", ns, "get", "vm", "web"); !strings.Contains(out, "blue        bridge       blue-nad   linkDown") {
		t.Errorf("kubectl linkstate get:\n%s", out)
	}
	if out := run("__complete", "linkstate", "-n", ns, "set", "vm", "web", "bl"); out != "blue=\n:6\n" {
		t.Errorf("kubectl __complete linkstate:\n%s", out)
	}
}
