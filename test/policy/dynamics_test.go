package policy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// A namespace labelled into a policy's scope is judged by it within seconds, and out of it
// again when the label goes: namespaces' labels come from a watch, not a restart.
func TestNamespaceRelabelledIntoScope(t *testing.T) {
	ns := namespace(t, nil)
	apply(t, `{metadata: {name: relabel}, spec: {namespaceSelector: {matchLabels: {relabel-test: "in"}}, protectedNetworks: [pod]}}`)
	podDown := vm("v", nil, podNIC("linkDown"))
	expectAdmitted(t, create(t, alice, ns, podDown, true), builtinP1)

	relabel := func(value string) {
		t.Helper()
		n := &corev1.Namespace{}
		if err := admin.Get(context.Background(), client.ObjectKey{Name: ns}, n); err != nil {
			t.Fatal(err)
		}
		if value == "" {
			delete(n.Labels, "relabel-test")
		} else {
			n.Labels["relabel-test"] = value
		}
		if err := admin.Update(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	relabel("in")
	eventually(t, "the relabelled namespace is in scope", alice, ns, podDown, denied(`LinkStatePolicy "relabel": L2`))
	relabel("")
	eventually(t, "the namespace is out of scope again", alice, ns, podDown, admitted(builtinP1))
}

// A policy changed, then deleted, while tenants create VMs: every verdict is the one of
// the policy in force before or after a change, never a mix or an error; verdicts never
// go back to an older policy; and once a change settles, every verdict follows it.
func TestPolicyChangedAndDeletedWhileVMsAreCreated(t *testing.T) {
	ns := namespace(t, nil)
	spec := func(allowed, version string) string {
		return `{metadata: {name: rollout}, spec: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ` + ns +
			`}}, allowedStates: [` + allowed + `], message: ` + version + `}}`
	}
	apply(t, spec("up, down", "v1"))

	// The verdicts a VM unplugging an interface can get, by policy in force.
	const (
		byV1 = iota
		byV2
		byNone
	)
	classify := func(v verdict) (int, error) {
		switch {
		case len(v.Causes) == 1 && strings.HasSuffix(v.Causes[0], "this policy allows: up and down; v1"):
			return byV1, nil
		case len(v.Causes) == 1 && strings.HasSuffix(v.Causes[0], "this policy allows: up only; v2"):
			return byV2, nil
		case !v.Denied && v.Other == "" && len(v.Warnings) == 0:
			return byNone, nil
		}
		return 0, fmt.Errorf("a verdict of no policy version: %s", v)
	}

	const creators = 2
	var (
		mu       sync.Mutex
		verdicts [creators][]int
		failures []error
	)
	seen := func(c, class int) int { // how many verdicts of class creator c got
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range verdicts[c] {
			if v == class {
				n++
			}
		}
		return n
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				manifest := vm(fmt.Sprintf("c%d-vm%d", c, i), nil, podNIC(""), secondary("sec", "absent", "frontend"))
				class, err := classify(create(t, alice, ns, manifest, false))
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Errorf("creator %d, VM %d: %w", c, i, err))
				} else {
					verdicts[c] = append(verdicts[c], class)
				}
				mu.Unlock()
			}
		}()
	}
	// Each creator must see a run of verdicts of a class: the change has settled for it.
	settled := func(what string, class int) {
		t.Helper()
		testwait.Until(t, what, settle, func() error {
			for c := range creators {
				if n := seen(c, class); n < 5 {
					return fmt.Errorf("creator %d: %d verdicts of it so far", c, n)
				}
			}
			return nil
		})
	}
	settled("VMs are judged by v1", byV1)
	changed := apply(t, spec("up", "v2"))
	settled("after the change, VMs are judged by v2", byV2)
	remove(t, changed.Name)
	settled("after the deletion, VMs are admitted", byNone)
	close(stop)
	wg.Wait()

	for _, err := range failures {
		t.Error(err)
	}
	for c := range creators {
		for i := 1; i < len(verdicts[c]); i++ {
			if verdicts[c][i] < verdicts[c][i-1] {
				t.Errorf("creator %d: verdict %d is by an older policy than verdict %d before it: %v", c, i, i-1, verdicts[c])
				break
			}
		}
		t.Logf("creator %d: %d VMs judged (v1, v2, none): %d, %d, %d", c, len(verdicts[c]), seen(c, byV1), seen(c, byV2), seen(c, byNone))
	}
}

// The webhook does not serve before it has the policies: a replica that cannot list them
// (here: no RBAC yet) is not ready, its "policies" check failing; granted the ClusterRole
// config/rbac ships, it gets ready.
func TestNotReadyUntilThePoliciesAreLoaded(t *testing.T) {
	w := startUnprivilegedWebhook(t)
	testwait.Until(t, "/readyz fails on the policies", settle, func() error {
		err := w.Ready()
		if err == nil {
			return fmt.Errorf("ready without access to the policies")
		}
		if !strings.Contains(err.Error(), "[-]policies failed") || !strings.Contains(err.Error(), "[+]webhook ok") {
			return fmt.Errorf("%v; want the webhook served and the policies check failing", err)
		}
		return nil
	})
	// Asked anyway (the API server only calls ready replicas through the Service, but a
	// URL-configured webhook is called regardless), it answers with an error: failurePolicy
	// decides, the request is never admitted unjudged.
	if allowed, code, msg := w.review(t); allowed || code != http.StatusServiceUnavailable || !strings.Contains(msg, "LinkStatePolicies not loaded") {
		t.Errorf("review before the policies are loaded: allowed=%v code=%d message=%q; want a 503 naming the policies", allowed, code, msg)
	}
	grantWebhookRBAC(t, w.user)
	// client-go's reflector retries a refused list with a backoff of up to 30 s.
	testwait.Until(t, "ready once it may read the policies", 90*time.Second, w.Ready)
}

// unprivilegedWebhook is a second webhook process, running as a user with no access.
type unprivilegedWebhook struct {
	user, addr, probeAddr string
}

func startUnprivilegedWebhook(t *testing.T) *unprivilegedWebhook {
	t.Helper()
	w := &unprivilegedWebhook{user: "linkstate-webhook-under-test"}
	authn, err := env.Env.AddUser(envtest.User{Name: w.user}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := authn.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if w.addr, err = freeAddr(); err != nil {
		t.Fatal(err)
	}
	if w.probeAddr, err = freeAddr(); err != nil {
		t.Fatal(err)
	}
	_, portNumber, _ := net.SplitHostPort(w.addr)
	log := &harness.LogBuffer{}
	cmd := exec.Command(env.Binary, "serve", "--kubeconfig", kubeconfig, "--port", portNumber,
		"--cert-dir", env.Env.WebhookInstallOptions.LocalServingCertDir,
		"--health-probe-bind-address", w.probeAddr, "--metrics-bind-address", "0", "--shutdown-delay", "0s",
		// Not what this test is about: the dialect is given, so nothing but the policies holds readiness back.
		"--dialect", "seed")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("--- log of the webhook under test ---\n%s", log)
		}
	})
	return w
}

// Ready asks /readyz once; the error carries the failing checks.
func (w *unprivilegedWebhook) Ready() error {
	resp, err := http.Get("http://" + w.probeAddr + "/readyz?verbose")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: HTTP %d: %s", resp.StatusCode, body)
	}
	return nil
}

// review posts a VM create's AdmissionReview to the validating webhook, over TLS, and
// returns the answer.
func (w *unprivilegedWebhook) review(t *testing.T) (allowed bool, code int32, message string) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(env.Env.WebhookInstallOptions.LocalServingCAData)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	raw, err := yaml.YAMLToJSON([]byte(vm("v", nil, podNIC("linkDown"))))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",` +
		`"kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},` +
		`"resource":{"group":"kubevirt.io","version":"v1","resource":"virtualmachines"},` +
		`"namespace":"default","operation":"CREATE","userInfo":{"username":"alice"},"object":` + string(raw) + `}}`
	resp, err := hc.Post("https://"+w.addr+"/validate-kubevirt-io-v1-virtualmachine", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&review); err != nil || review.Response == nil {
		t.Fatalf("decoding the review's answer (HTTP %d): %v", resp.StatusCode, err)
	}
	if r := review.Response.Result; r != nil {
		return review.Response.Allowed, r.Code, r.Message
	}
	return review.Response.Allowed, 0, ""
}

// grantWebhookRBAC binds the ClusterRole config/rbac ships to user.
func grantWebhookRBAC(t *testing.T, user string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(harness.Root(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(raw, role); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name + "-under-test"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}},
	}
	ctx := context.Background()
	for _, o := range []client.Object{role, binding} {
		if err := admin.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = admin.Delete(ctx, o) })
	}
}
