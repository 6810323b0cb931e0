package dialect

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/check"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/dialect"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

const probeEvery = "--dialect-probe-interval=1s"

// vm is a VM with a masquerade interface on the pod network ("default") and a bridge one
// on a secondary network ("sec"), in the given states.
func vm(ns, name, defaultState, secState string) *unstructured.Unstructured {
	iface := func(n, binding, state string) map[string]any {
		i := map[string]any{"name": n, binding: map[string]any{}}
		if state != "" {
			i["state"] = state
		}
		return i
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"runStrategy": "Halted", "template": map[string]any{"spec": map[string]any{
			"domain": map[string]any{"devices": map[string]any{"interfaces": []any{
				iface("default", "masquerade", defaultState), iface("sec", "bridge", secState)}}},
			"networks": []any{
				map[string]any{"name": "default", "pod": map[string]any{}},
				map[string]any{"name": "sec", "multus": map[string]any{"networkName": "br"}},
			},
		}}},
	}}
}

// storedStates are the states the API server stored, by interface name.
func storedStates(t *testing.T, u *unstructured.Unstructured) map[string]string {
	t.Helper()
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(u.GroupVersionKind())
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(u), got); err != nil {
		t.Fatal(err)
	}
	list, _, _ := unstructured.NestedSlice(got.Object, "spec", "template", "spec", "domain", "devices", "interfaces")
	out := map[string]string{}
	for _, i := range list {
		m := i.(map[string]any)
		s, _ := m["state"].(string)
		out[m["name"].(string)] = s
	}
	return out
}

func restart(t *testing.T, args ...string) {
	t.Helper()
	if err := env.RestartWebhook(context.Background(), args...); err != nil {
		t.Fatalf("restarting the webhook %v: %v", args, err)
	}
}

// For each thing the cluster's KubeVirt can accept, --dialect auto finds it out before the
// webhook is ready, and a VM created with an empty state, with an explicit down and with
// absent gets through KubeVirt (here its stand-in) exactly when it should.
func TestAutoResolvesWhatKubeVirtAccepts(t *testing.T) {
	tests := []struct {
		name    string
		accepts []string
		want    linkstate.Dialect
		source  dialect.Origin
		empty   string // what an empty state is stored as
		down    string // the cluster's spelling of down ("" in none: refused)
		alias   string // the other spelling of down, rewritten by the mutator
	}{
		{"seed: the patched images", []string{"linkUp", "linkDown"}, linkstate.Seed, dialect.FromProbe, "linkUp", "linkDown", "down"},
		{"upstream: stock KubeVirt v1.5+", []string{"up", "down"}, linkstate.Upstream, dialect.FromProbe, "up", "down", "linkDown"},
		{"none: KubeVirt before v1.5", nil, linkstate.None, dialect.FromProbe, "", "", ""},
		{"both accepted: the fallback", []string{"linkUp", "linkDown", "up", "down"}, linkstate.Seed, dialect.FromFallback, "linkUp", "linkDown", "down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kubevirt.Accept(tc.accepts...)
			restart(t, probeEvery)
			// Resolved before the webhook reported ready: no waiting here.
			st := status(t)
			if st.Dialect != tc.want || st.Source != tc.source || !st.Resolved {
				t.Fatalf("status %+v, want %s from %s", st, tc.want, tc.source)
			}
			ns := namespace(t, nil)
			ctx := context.Background()

			empty := vm(ns, "empty", "", "")
			if err := c.Create(ctx, empty); err != nil {
				t.Fatalf("a VM with empty states: %v", err)
			}
			if diff := cmp.Diff(map[string]string{"default": tc.empty, "sec": tc.empty}, storedStates(t, empty)); diff != "" {
				t.Errorf("empty states stored (-want +got):\n%s", diff)
			}

			absent := vm(ns, "absent", "", "absent")
			if err := c.Create(ctx, absent); err != nil {
				t.Errorf("a VM with a secondary bridge interface absent: %v", err)
			}

			if tc.down == "" {
				refused := vm(ns, "down", "", "down")
				if err := c.Create(ctx, refused); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "interfaces[1].state") {
					t.Errorf("down on a cluster without link state: err = %v, want it refused", err)
				}
				return
			}
			down := vm(ns, "down", "", tc.down)
			if err := c.Create(ctx, down); err != nil {
				t.Fatalf("a VM with sec %s: %v", tc.down, err)
			}
			if got := storedStates(t, down)["sec"]; got != tc.down {
				t.Errorf("sec stored as %q, want %q", got, tc.down)
			}
			// The other spelling is rewritten before KubeVirt sees it.
			alias := vm(ns, "alias", "", tc.alias)
			if err := c.Create(ctx, alias); err != nil {
				t.Fatalf("a VM with sec %s (the other spelling): %v", tc.alias, err)
			}
			if got := storedStates(t, alias)["sec"]; got != tc.down {
				t.Errorf("sec %s stored as %q, want it rewritten to %q", tc.alias, got, tc.down)
			}
		})
	}
}

// Where KubeVirt does not speak first, linkstate-webhook's own denial of an explicit down
// on a cluster without link state says what the cluster needs.
func TestNoneDeniesExplicitStatesWithWhatTheClusterNeeds(t *testing.T) {
	kubevirt.Accept()
	restart(t, probeEvery)
	if st := status(t); st.Dialect != linkstate.None {
		t.Fatalf("status %+v, want none", st)
	}
	ns := namespace(t, map[string]string{harness.NoKubeVirtLabel: "true"})
	err := c.Create(context.Background(), vm(ns, "down", "", "linkDown"))
	want := `spec.template.spec.domain.devices.interfaces[1].state: Invalid value: "linkDown": this cluster's KubeVirt does not support link state`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "KubeVirt v1.5 or later, or the patched virt-launcher and virt-handler images") {
		t.Errorf("err = %v\nwant it to contain %q and what the cluster needs", err, want)
	}
}

// KubeVirt upgraded under a running webhook: the next probe notices, and the next review
// uses the new spelling.
func TestAKubeVirtUpgradeIsPickedUp(t *testing.T) {
	kubevirt.Accept("up", "down")
	restart(t, probeEvery)
	if st := status(t); st.Dialect != linkstate.Upstream {
		t.Fatalf("status %+v, want upstream", st)
	}
	kubevirt.Accept("linkUp", "linkDown") // the patched images roll out
	testwait.Until(t, "the webhook notices the upgrade", 15*time.Second, func() error {
		if st := status(t); st.Dialect != linkstate.Seed || st.Source != dialect.FromProbe {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	ns := namespace(t, nil)
	created := vm(ns, "after-upgrade", "", "")
	if err := c.Create(context.Background(), created); err != nil {
		t.Fatalf("create after the upgrade: %v", err)
	}
	if got := storedStates(t, created)["sec"]; got != "linkUp" {
		t.Errorf("empty state stored as %q after the upgrade, want linkUp", got)
	}
	if !strings.Contains(log.String(), `"msg":"dialect changed: the next reviews use the new one","from":"upstream","to":"seed"`) {
		t.Errorf("no log line for the change")
	}
}

// An explicit --dialect that the cluster contradicts is kept (the operator's choice), and
// is loud: /dialect says why, the log has an error, the metric is 1.
func TestAnExplicitDialectTheClusterContradicts(t *testing.T) {
	kubevirt.Accept("up", "down")
	metrics := freeAddr(t)
	restart(t, probeEvery, "--dialect=seed", "--metrics-bind-address="+metrics)
	t.Cleanup(func() { restart(t, probeEvery) })
	testwait.Until(t, "the contradiction is found", 15*time.Second, func() error {
		if st := status(t); st.Contradiction == "" {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	st := status(t)
	if st.Dialect != linkstate.Seed || st.Source != dialect.FromFlag || st.Probed != linkstate.Upstream ||
		!strings.HasPrefix(st.Contradiction, "--dialect seed, but the cluster's KubeVirt accepts only up/down (dialect upstream)") {
		t.Errorf("status %+v", st)
	}
	if !strings.Contains(log.String(), `"msg":"the explicit dialect contradicts the cluster"`) {
		t.Error("no error in the log")
	}
	body := get(t, "http://"+metrics+"/metrics")
	for _, want := range []string{"linkstate_webhook_dialect_contradiction 1", `linkstate_webhook_dialect{dialect="seed",source="flag"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// What the operator chose: an empty state defaulted to linkUp, which this KubeVirt refuses.
	err := c.Create(context.Background(), vm(namespace(t, nil), "refused", "", ""))
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "unsupported: linkUp") {
		t.Errorf("err = %v, want KubeVirt's refusal of linkUp", err)
	}
}

// An API server that does not answer at startup: the dialect stops holding readiness back
// after the probe timeout, on the fallback (readiness then waits only for the policies,
// which need the API server), and is resolved once the API server answers.
func TestAnAPIServerThatDoesNotAnswerAtStartup(t *testing.T) {
	kubevirt.Accept("up", "down")
	proxy := newStallingProxy(t, env.Config.Host)
	opts := env.Env.WebhookInstallOptions
	started := time.Now()
	w, err := harness.StartWebhook(context.Background(), harness.WebhookOptions{
		Binary: env.Binary, Kubeconfig: kubeconfigVia(t, proxy.addr), CertDir: opts.LocalServingCertDir, Log: log, NoWait: true,
		Args: []string{probeEvery, "--dialect-probe-timeout=2s", "--shutdown-delay=0s", "--shutdown-timeout=2s"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop(10 * time.Second) }()
	testwait.Until(t, "the dialect check passes with a silent API server", 20*time.Second, func() error {
		checks, err := w.Checks()
		if err != nil || !strings.Contains(checks, "[+]dialect ok") {
			return fmt.Errorf("%v %s", err, checks)
		}
		return nil
	})
	t.Logf("dialect check ok %v after start with a silent API server (probe timeout 2s)", time.Since(started).Round(100*time.Millisecond))
	st := statusAt(t, w.Addr)
	if st.Dialect != linkstate.Seed || st.Source != dialect.FromFallback || !strings.Contains(st.Evidence, "linkDown unknown") {
		t.Errorf("status %+v, want the fallback, seed", st)
	}
	proxy.forward()
	testwait.Until(t, "ready once the API server answers", 60*time.Second, w.Ready)
	testwait.Until(t, "the dialect is resolved once the API server answers", 20*time.Second, func() error {
		if st := statusAt(t, w.Addr); st.Dialect != linkstate.Upstream || st.Source != dialect.FromProbe {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
}

// stallingProxy accepts connections for an API server and holds them silent until
// forward is called; from then on it relays bytes (TLS passes through untouched).
type stallingProxy struct {
	addr, target string
	on           atomic.Bool
	mu           sync.Mutex
	conns        []net.Conn
}

func newStallingProxy(t *testing.T, apiServer string) *stallingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(apiServer)
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{addr: l.Addr().String(), target: target.Host}
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, conn)
			p.mu.Unlock()
			if p.on.Load() {
				go p.relay(conn)
			} // else: held open, never answered
		}
	}()
	return p
}

func (p *stallingProxy) forward() { p.on.Store(true) }

func (p *stallingProxy) relay(conn net.Conn) {
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		conn.Close()
		return
	}
	go func() { _, _ = io.Copy(upstream, conn); upstream.Close() }()
	_, _ = io.Copy(conn, upstream)
	conn.Close()
}

// kubeconfigVia is the admin kubeconfig with the API server reached through addr.
func kubeconfigVia(t *testing.T, addr string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, cluster := range cfg.Clusters {
		cluster.Server = "https://" + addr
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// `check --dialect auto` asks the cluster of its kubeconfig the same way.
func TestCheckAutoAsksTheCluster(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "vm.yaml")
	raw, err := yaml.Marshal(vm("default", "offline", "", "").Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	for want, accepts := range map[string][]string{`"up"`: {"up", "down"}, `"linkUp"`: {"linkUp", "linkDown"}} {
		kubevirt.Accept(accepts...)
		var stdout, stderr strings.Builder
		code := check.Main("webhook check", []string{"--dialect", "auto", "--kubeconfig", env.Kubeconfig,
			"--dialect-probe-namespace", harness.ServiceNamespace, "-f", manifest}, strings.NewReader(""), &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String(), "add /spec/template/spec/domain/devices/interfaces/1/state "+want) {
			t.Errorf("KubeVirt accepts %s: exit %d\n%s%s", accepts, code, stdout.String(), stderr.String())
		}
	}
}
