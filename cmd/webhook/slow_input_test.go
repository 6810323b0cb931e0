package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A pipeline that feeds check slowly (a producer that takes more than 30 s) must get the
// verdicts and nothing else: controller-runtime prints a warning with a stack trace when
// its logger is used 30 s after start without ever having been set.
func TestCheckOnSlowInputPrintsNoLoggerWarning(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "webhook")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the webhook: %v\n%s", err, out)
	}
	manifests, err := os.ReadFile(filepath.Join("testdata", "vmi-denied.json"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "check", "-f", "-")
	slow, feed := io.Pipe()
	cmd.Stdin = slow
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(31 * time.Second) // the producer thinks
	if _, err := feed.Write(manifests); err != nil {
		t.Fatal(err)
	}
	feed.Close()
	err = cmd.Wait()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1 (the VMI is denied)", err)
	}
	if stderr.Len() > 0 || strings.Contains(stdout.String(), "SetLogger") {
		t.Errorf("stderr: %q\nstdout: %q\nwant the verdict only", stderr.String(), stdout.String())
	}
	if !strings.Contains(stdout.String(), "DENIED   VirtualMachineInstance prod/fast") {
		t.Errorf("stdout %q: want the VMI denied", stdout.String())
	}
}
