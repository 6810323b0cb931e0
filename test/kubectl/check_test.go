package kubectl

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// `kubectl linkstate check` is `webhook check`: the same output and exit status on the
// examples, in each format and dialect, and on usage errors (whose text names the command).
func TestCheckIsWebhookCheck(t *testing.T) {
	examples := filepath.Join(harness.Root(), "examples")
	run := func(bin string, args ...string) result {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader("")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := result{stdout: stdout.String(), stderr: stderr.String()}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			r.code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, args := range [][]string{
		{"-f", examples},
		{"-f", examples, "-o", "json"},
		{"-f", examples, "--dialect=upstream", "--passt-binding=warn"},
		{"-f", filepath.Join(examples, "vm-bridge-secondary.yaml")},
		{"-f", filepath.Join(examples, "does-not-exist.yaml")},
		{"-o", "xml", "-f", examples},
		{},
		{"-h"},
	} {
		webhook := run(env.Binary, append([]string{"check"}, args...)...)
		plugin := run(plugin, append([]string{"check"}, args...)...)
		plugin.stderr = strings.ReplaceAll(plugin.stderr, "kubectl linkstate check", "webhook check")
		plugin.stdout = strings.ReplaceAll(plugin.stdout, "kubectl linkstate check", "webhook check") // -h
		if diff := cmp.Diff(webhook, plugin, cmp.AllowUnexported(result{})); diff != "" {
			t.Errorf("check %q (-webhook +plugin):\n%s", args, diff)
		}
		if webhook.code != 2 && webhook.stdout == "" {
			t.Errorf("check %q printed nothing: %s", args, webhook)
		}
	}
	if r := run(plugin, "check", "-f", examples); r.code != 1 || !strings.Contains(r.stdout, "DENIED   VirtualMachine sriov-vm") {
		t.Errorf("some examples are meant to be denied: %s", r)
	}
}
