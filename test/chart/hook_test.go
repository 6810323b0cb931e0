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
	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// The `helm test` Pod's script, run as rendered against the real webhook binary serving
// the Helm-generated certificate: it must pass when the webhook denies `state: sideways`,
// and fail when the answer is an admission, or when an explicit dialect contradicts what
// the cluster's KubeVirt accepts. curl is told (through its config file, so the script
// runs unchanged) to connect to the local server whenever it dials the Service name; TLS
// is still verified against that name.
func TestHelmTestScriptAgainstTheWebhook(t *testing.T) {
	c := apiServer(t)
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
	c.ensureNamespace(t, harness.ServiceNamespace) // where the dialect probe runs

	// runScript runs the script against the webhook on port.
	runScript := func(port int, review string) (string, error) {
		curlHome := t.TempDir()
		curlrc := fmt.Sprintf("connect-to = \"::127.0.0.1:%d\"\n", port)
		if err := os.WriteFile(filepath.Join(curlHome, ".curlrc"), []byte(curlrc), 0o600); err != nil {
			t.Fatal(err)
		}
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

	port := startWebhook(t, c, certDir)
	out, err := runScript(port, review)
	if err != nil || strings.Count(out, "PASS") != 2 {
		t.Errorf("the helm test script failed against a working webhook: %v\n%s", err, out)
	}
	// A legal state is admitted, and the script must then report a failure.
	admitted := strings.Replace(review, `"state":"sideways"`, `"state":"linkUp"`, 1)
	if admitted == review {
		t.Fatalf("the review has no \"state\":\"sideways\" to replace:\n%s", review)
	}
	if out, err := runScript(port, admitted); err == nil || !strings.Contains(out, "FAIL") {
		t.Errorf("the helm test script passed although the webhook admitted the VM: %v\n%s", err, out)
	}

	// KubeVirt (its test stand-in) speaks up/down, and the operator forced seed: the script
	// fails and says why.
	standInPKI, err := testpki.NewCA("kubevirt stand-in")
	if err != nil {
		t.Fatal(err)
	}
	standInCert, standInKey, err := standInPKI.IssueLoopback("kubevirt stand-in", 1)
	if err != nil {
		t.Fatal(err)
	}
	standInDir := t.TempDir()
	if err := testpki.WriteInPlace(standInDir, standInCert, standInKey); err != nil {
		t.Fatal(err)
	}
	kubevirt, err := harness.StartKubeVirtStandIn(c.env.Config, standInDir, standInPKI.CertPEM(), "up", "down")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = kubevirt.Stop() }()
	contradicted := startWebhook(t, c, certDir, "--dialect=seed", "--dialect-probe-interval=1s")
	var last string
	testwait.Until(t, "the script reports the contradiction", 30*time.Second, func() error {
		out, err := runScript(contradicted, review)
		last = out
		if err == nil || !strings.Contains(out, "FAIL: --dialect seed, but the cluster's KubeVirt accepts only up/down (dialect upstream)") {
			return fmt.Errorf("err %v", err)
		}
		return nil
	})
	if !strings.Contains(last, "Set dialect: auto") {
		t.Errorf("the script does not say what to do:\n%s", last)
	}
}

// startWebhook runs the webhook binary with the certificate in certDir and returns the TLS
// port once /readyz answers; it is stopped when the test ends.
func startWebhook(t *testing.T, c *cluster, certDir string, args ...string) int {
	t.Helper()
	bin, err := harness.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := &harness.LogBuffer{}
	w, err := harness.StartWebhook(context.Background(), harness.WebhookOptions{
		Binary: bin, Kubeconfig: c.kubeconfig, CertDir: certDir,
		Args: append([]string{"--shutdown-timeout", "5s"}, args...), Log: log, ReadyWithin: 30 * time.Second,
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
