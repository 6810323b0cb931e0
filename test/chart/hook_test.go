package chart

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// The `helm test` Pod's script, run as rendered against the real webhook binary serving
// the Helm-generated certificate: it must pass when the webhook denies `state: sideways`,
// and fail when the answer is an admission. curl is told (through its config file, so the
// script runs unchanged) to connect to the local server whenever it dials the Service name;
// TLS is still verified against that name.
func TestHelmTestScriptAgainstTheWebhook(t *testing.T) {
	c := apiServer(t) // the webhook needs an API server to start, even if these reviews never read from it
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is not installed: this test runs the `helm test` Pod's script, which uses curl, on this machine")
	}
	objs := render(t, "hook", "lw-hook", "tls: {mode: helm}")
	secret := decode[corev1.Secret](t, objs.get(t, "Secret", "hook-linkstate-webhook-tls"))
	pod := decode[corev1.Pod](t, objs.get(t, "Pod", "hook-linkstate-webhook-test"))
	container := pod.Spec.Containers[0]

	certDir := t.TempDir()
	if err := testpki.WriteInPlace(certDir, secret.Data["tls.crt"], secret.Data["tls.key"]); err != nil {
		t.Fatal(err)
	}
	port := startWebhook(t, c, certDir)

	curlHome := t.TempDir()
	curlrc := fmt.Sprintf("connect-to = \"::127.0.0.1:%d\"\n", port)
	if err := os.WriteFile(filepath.Join(curlHome, ".curlrc"), []byte(curlrc), 0o600); err != nil {
		t.Fatal(err)
	}
	runScript := func(review string) (string, error) {
		env := []string{"PATH=" + filepath.Dir(curl) + ":/usr/bin:/bin", "CURL_HOME=" + curlHome, "TMPDIR=" + t.TempDir()}
		for _, e := range container.Env {
			switch {
			case e.Name == "REVIEW":
				env = append(env, "REVIEW="+review)
			case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == secret.Name:
				env = append(env, e.Name+"="+string(secret.Data[e.ValueFrom.SecretKeyRef.Key]))
			case e.ValueFrom == nil:
				env = append(env, e.Name+"="+e.Value)
			default:
				t.Fatalf("env %s comes from %+v, which this test cannot provide", e.Name, e.ValueFrom)
			}
		}
		cmd := exec.Command(container.Command[0], append(container.Command[1:], container.Args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	review := envValue(t, container, "REVIEW")

	out, err := runScript(review)
	if err != nil || !strings.Contains(out, "PASS") {
		t.Errorf("the helm test script failed against a working webhook: %v\n%s", err, out)
	}
	// A legal state is admitted, and the script must then report a failure.
	admitted := strings.Replace(review, `"state":"sideways"`, `"state":"linkUp"`, 1)
	if admitted == review {
		t.Fatalf("the review has no \"state\":\"sideways\" to replace:\n%s", review)
	}
	if out, err := runScript(admitted); err == nil || !strings.Contains(out, "FAIL") {
		t.Errorf("the helm test script passed although the webhook admitted the VM: %v\n%s", err, out)
	}
}

// startWebhook runs the webhook binary with the certificate in certDir and returns the TLS
// port once /readyz answers; it is stopped when the test ends.
func startWebhook(t *testing.T, c *cluster, certDir string) int {
	t.Helper()
	bin, err := harness.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := &harness.LogBuffer{}
	w, err := harness.StartWebhook(context.Background(), harness.WebhookOptions{
		Binary: bin, Kubeconfig: c.kubeconfig, CertDir: certDir,
		Args: []string{"--shutdown-timeout", "5s"}, Log: log, ReadyWithin: 30 * time.Second,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	t.Cleanup(func() {
		_ = w.Stop(15 * time.Second)
		if t.Failed() {
			t.Logf("webhook log:\n%s", log)
		}
	})
	return w.Port
}

func envValue(t *testing.T, c corev1.Container, name string) string {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	t.Fatalf("container %s has no env %s", c.Name, name)
	return ""
}
