package kubectl

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// The README's "For VM owners" session is real: this test plays it through kubectl (which
// runs the plugin from PATH) against the suite's API server and webhook, with a running VM
// whose virt-handler the test plays, and compares it with the README, timings aside. When
// they differ, it prints the session as it ran, to paste into the README.
func TestREADMESession(t *testing.T) {
	const ns = "demo"
	if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	createVM(t, ns, "web", iface{name: "default", binding: "masquerade", pod: true},
		iface{name: "blue", binding: "bridge"}, iface{name: "fast", binding: "sriov"})
	startVM(t, ns, "web")
	playKubeVirt(t, ns, "web", true, 500*time.Millisecond)

	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	var session strings.Builder
	play := func(answer string, args ...string) {
		t.Helper()
		cmd := exec.Command(kubectl, append([]string{"linkstate"}, args...)...)
		cmd.Env = []string{"HOME=" + home, "KUBECONFIG=" + env.Kubeconfig,
			"PATH=" + filepath.Dir(plugin) + string(os.PathListSeparator) + os.Getenv("PATH")}
		cmd.Stdin = strings.NewReader(answer)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out // as a terminal shows them, in order
		_ = cmd.Run()                       // exit statuses are test/kubectl's other tests' business
		text := out.String()
		if answer != "" { // what the user typed, as the terminal echoes it
			text = strings.Replace(text, "[y/N]: ", "[y/N]: "+answer, 1)
		}
		session.WriteString("$ kubectl linkstate " + strings.Join(args, " ") + "\n" + text + "\n")
	}
	play("", "get", "vm", "web", "-n", ns)
	play("", "set", "vm", "web", "blue=down", "-n", ns)
	play("", "set", "vm", "web", "default=down", "--dry-run=server", "-n", ns)
	play("", "set", "vm", "web", "fast=down", "-n", ns)
	play("y\n", "unplug", "vm", "web", "blue", "-n", ns)
	play("", "get", "vm", "web", "-n", ns, "-o", "wide")
	got := strings.TrimRight(session.String(), "\n")

	readme, err := os.ReadFile(filepath.Join(harness.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, ok := sessionBlock(string(readme))
	if !ok {
		t.Fatalf("README.md has no block after %q; the session as it ran:\n%s", sessionMarker, got)
	}
	if diff := cmp.Diff(normalizeTimes(want), normalizeTimes(got)); diff != "" {
		t.Errorf("README.md's session differs from a real one (-README +real):\n%s\nthe session as it ran:\n%s", diff, got)
	}
}

const sessionMarker = "<!-- session: test/kubectl/readme_test.go -->"

// sessionBlock is the fenced block that follows the marker.
func sessionBlock(readme string) (string, bool) {
	_, after, ok := strings.Cut(readme, sessionMarker)
	if !ok {
		return "", false
	}
	_, body, ok := strings.Cut(after, "```console\n")
	if !ok {
		return "", false
	}
	body, _, ok = strings.Cut(body, "\n```")
	return body, ok
}

// normalizeTimes blanks the elapsed times of the wait display, which vary from run to run.
func normalizeTimes(s string) string {
	return regexp.MustCompile(`\[[0-9.]+m?s/`).ReplaceAllString(s, "[…/")
}
