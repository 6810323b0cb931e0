package dialect

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

var vmKind = schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachine"}

// KubeVirt's own denial of a spelling it does not know: a cause at the interface's state.
func stateDenied(value string) error {
	return apierrors.NewInvalid(vmKind, "", field.ErrorList{field.Invalid(
		field.NewPath("spec", "template", "spec", "domain", "devices", "interfaces").Index(0).Child("state"),
		value, "logical default interface state value is unsupported: "+value)})
}

func TestClassify(t *testing.T) {
	webhookDenial := &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: 400, Reason: metav1.StatusReasonBadRequest,
		Message: `admission webhook "virtualmachine-validator.kubevirt.io" denied the request: spec.template.spec.domain.devices.interfaces[0].state: unsupported`}}
	tests := map[string]struct {
		err  error
		want Answer
	}{
		"accepted":                         {nil, Accepted},
		"a cause at the state":             {stateDenied("linkDown"), Refused},
		"a message naming the state":       {webhookDenial, Refused},
		"a denial about something else":    {apierrors.NewInvalid(vmKind, "", field.ErrorList{field.Required(field.NewPath("spec", "template", "spec", "domain", "memory"), "")}), Unknown},
		"forbidden by RBAC":                {apierrors.NewForbidden(schema.GroupResource{Group: "kubevirt.io", Resource: "virtualmachines"}, "", errors.New("no")), Unknown},
		"no KubeVirt CRD":                  {&apierrors.StatusError{ErrStatus: metav1.Status{Code: 404, Reason: metav1.StatusReasonNotFound, Message: "the server could not find the requested resource"}}, Unknown},
		"the API server does not answer":   {context.DeadlineExceeded, Unknown},
		"a timeout reported by the server": {apierrors.NewTimeoutError("slow", 1), Unknown},
	}
	for name, tc := range tests {
		if got, _ := classify(tc.err); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		seed, upstream Answer
		want           linkstate.Dialect
		ok             bool
	}{
		{Accepted, Refused, linkstate.Seed, true},
		{Refused, Accepted, linkstate.Upstream, true},
		{Refused, Refused, linkstate.None, true},
		{Accepted, Accepted, "", false}, // nothing judged the state
		{Unknown, Refused, "", false},
		{Accepted, Unknown, "", false},
		{Unknown, Unknown, "", false},
	}
	for _, tc := range tests {
		if got, ok := Decide(Evidence{Seed: tc.seed, Upstream: tc.upstream}); got != tc.want || ok != tc.ok {
			t.Errorf("linkDown %s, down %s: %q %v, want %q %v", tc.seed, tc.upstream, got, ok, tc.want, tc.ok)
		}
	}
}

// kubevirt is a Creator that answers like a KubeVirt accepting the listed spellings, and
// records what it was sent.
type kubevirt struct {
	accepts map[string]bool
	fail    error
	sent    []*unstructured.Unstructured
	dryRun  []bool
}

func (k *kubevirt) Create(_ context.Context, obj client.Object, opts ...client.CreateOption) error {
	u := obj.(*unstructured.Unstructured)
	k.sent = append(k.sent, u)
	co := &client.CreateOptions{}
	co.ApplyOptions(opts)
	k.dryRun = append(k.dryRun, len(co.DryRun) == 1 && co.DryRun[0] == metav1.DryRunAll)
	if k.fail != nil {
		return k.fail
	}
	ifaces, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "domain", "devices", "interfaces")
	state := ifaces[0].(map[string]any)["state"].(string)
	if k.accepts[state] {
		return nil
	}
	return stateDenied(state)
}

func TestProbeSendsDryRunsOfAVMKubeVirtAccepts(t *testing.T) {
	k := &kubevirt{accepts: map[string]bool{"down": true}}
	e := Prober{Client: k, Namespace: "linkstate-webhook-system"}.Probe(context.Background())
	if e.Seed != Refused || e.Upstream != Accepted || !strings.Contains(e.SeedReason, "unsupported: linkDown") {
		t.Errorf("evidence %+v", e)
	}
	if len(k.sent) != 2 || !k.dryRun[0] || !k.dryRun[1] {
		t.Fatalf("sent %d objects, dry run %v: want two dry runs", len(k.sent), k.dryRun)
	}
	for i, want := range []string{"linkDown", "down"} {
		u := k.sent[i]
		// What KubeVirt needs to accept the VM, whatever the cluster: its own namespace,
		// halted, fixed memory, one masquerade interface on the pod network, no disks.
		var vm v1.VirtualMachine
		if err := runtimeFromUnstructured(u, &vm); err != nil {
			t.Fatal(err)
		}
		spec := vm.Spec.Template.Spec
		if vm.Namespace != "linkstate-webhook-system" || vm.GenerateName == "" || vm.Spec.RunStrategy == nil || *vm.Spec.RunStrategy != v1.RunStrategyHalted ||
			spec.Domain.Memory == nil || len(spec.Domain.Devices.Disks) != 0 || len(spec.Domain.Devices.Interfaces) != 1 ||
			spec.Domain.Devices.Interfaces[0].Masquerade == nil || string(spec.Domain.Devices.Interfaces[0].State) != want ||
			len(spec.Networks) != 1 || spec.Networks[0].Pod == nil {
			t.Errorf("probe %d: %+v", i, u.Object)
		}
	}
}

func TestResolverAuto(t *testing.T) {
	var seen []Status
	r, err := NewResolver(linkstate.DefaultConfig(), Options{Fallback: linkstate.Seed, Interval: time.Hour, Retry: time.Minute, Timeout: time.Second},
		&Prober{}, func(s Status) { seen = append(seen, s) })
	if err != nil {
		t.Fatal(err)
	}
	if r.Ready(nil) == nil || r.Config().Dialect != linkstate.Seed || r.Status().Source != FromFallback {
		t.Fatalf("before any probe: ready=%v status %+v, want not ready, on the fallback", r.Ready(nil), r.Status())
	}
	steps := []struct {
		e          Evidence
		decided    bool
		dialect    linkstate.Dialect
		source     Origin
		defaultsUp string // what an empty state becomes
	}{
		{Evidence{Seed: Unknown, Upstream: Unknown}, false, linkstate.Seed, FromFallback, "linkUp"},
		{Evidence{Seed: Refused, Upstream: Accepted}, true, linkstate.Upstream, FromProbe, "up"},
		// A passing API error does not undo what the cluster said.
		{Evidence{Seed: Unknown, Upstream: Unknown}, false, linkstate.Upstream, FromProbe, "up"},
		// KubeVirt upgraded to the patched images.
		{Evidence{Seed: Accepted, Upstream: Refused}, true, linkstate.Seed, FromProbe, "linkUp"},
		{Evidence{Seed: Refused, Upstream: Refused}, true, linkstate.None, FromProbe, ""},
	}
	for i, s := range steps {
		if got := r.record(s.e); got != s.decided {
			t.Errorf("step %d: decided %v, want %v", i, got, s.decided)
		}
		st := r.Status()
		if st.Dialect != s.dialect || st.Source != s.source || !st.Resolved || st.Contradiction != "" || r.Config().Dialect != s.dialect {
			t.Errorf("step %d: %+v, want %s from %s", i, st, s.dialect, s.source)
		}
		if got := r.Config().Dialect.Up(); string(got) != s.defaultsUp {
			t.Errorf("step %d: up is spelled %q, want %q", i, got, s.defaultsUp)
		}
	}
	if len(seen) != len(steps)+1 {
		t.Errorf("onChange saw %d statuses, want %d", len(seen), len(steps)+1)
	}
}

func TestResolverExplicitDialectContradicted(t *testing.T) {
	r, err := NewResolver(linkstate.DefaultConfig(), Options{Fixed: linkstate.Seed, Fallback: linkstate.Seed, Interval: time.Hour, Retry: time.Minute, Timeout: time.Second}, &Prober{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ready(nil) != nil {
		t.Error("an explicit dialect waits for nothing, but readiness fails")
	}
	r.record(Evidence{Seed: Refused, Upstream: Accepted})
	st := r.Status()
	if st.Dialect != linkstate.Seed || st.Source != FromFlag || st.Probed != linkstate.Upstream ||
		!strings.Contains(st.Contradiction, "--dialect seed, but the cluster's KubeVirt accepts only up/down (dialect upstream)") {
		t.Errorf("status %+v: want seed kept, the contradiction said", st)
	}
	r.record(Evidence{Seed: Accepted, Upstream: Refused})
	if st := r.Status(); st.Contradiction != "" {
		t.Errorf("once the cluster agrees: contradiction %q", st.Contradiction)
	}
}

func TestResolverStartIsReadyAfterAFirstAnswerOrTimeout(t *testing.T) {
	hung := &hangingCreator{}
	r, err := NewResolver(linkstate.DefaultConfig(), Options{Fallback: linkstate.Upstream, Interval: time.Hour, Retry: time.Hour, Timeout: 50 * time.Millisecond},
		&Prober{Client: hung, Namespace: "ns"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Start(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for r.Ready(nil) != nil {
		if time.Now().After(deadline) {
			t.Fatal("not ready 10 s after a 50 ms probe timeout")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := r.Status(); st.Dialect != linkstate.Upstream || st.Source != FromFallback || !strings.Contains(st.Evidence, "linkDown unknown") {
		t.Errorf("status %+v: want the fallback after a timeout", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Start: %v", err)
	}
}

type hangingCreator struct{}

func (hangingCreator) Create(ctx context.Context, _ client.Object, _ ...client.CreateOption) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestAutoNeedsANamespace(t *testing.T) {
	if _, err := NewResolver(linkstate.DefaultConfig(), Options{Fallback: linkstate.Seed}, nil, nil); err == nil {
		t.Error("auto without a prober: want an error")
	}
}

func TestServeHTTP(t *testing.T) {
	r, _ := NewResolver(linkstate.DefaultConfig(), Options{Fixed: linkstate.Upstream}, nil, nil)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dialect", nil))
	if diff := cmp.Diff(`{"dialect":"upstream","source":"flag","resolved":true}`+"\n", rec.Body.String()); diff != "" || rec.Code != 200 {
		t.Errorf("HTTP %d (-want +got):\n%s", rec.Code, diff)
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/dialect", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: HTTP %d", rec.Code)
	}
}

func runtimeFromUnstructured(u *unstructured.Unstructured, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into)
}
