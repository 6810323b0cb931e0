package audit

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
)

func compiled(t *testing.T, name string, mode v1alpha1.Mode, objectLabels map[string]v1alpha1.LabelValue, states ...v1alpha1.State) *policy.Policy {
	t.Helper()
	spec := v1alpha1.LinkStatePolicySpec{Mode: mode, AllowedStates: states}
	if objectLabels != nil {
		spec.ObjectSelector = &v1alpha1.LabelSelector{MatchLabels: objectLabels}
	}
	p, err := policy.Compile(&v1alpha1.LinkStatePolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func vmiSubject(t *testing.T, lbls map[string]string, ifaces []v1.Interface, nets ...v1.Network) *Subject {
	t.Helper()
	out, err := StripVMI(&v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant", Name: "db", Labels: lbls}, Spec: *Spec(ifaces, nets...)})
	if err != nil {
		t.Fatal(err)
	}
	return out.(*Stored).Subject()
}

// Every mode's findings are results of the policy that found them: Enforce's denial and
// Audit's record of one fail, Warn's warning warns; the built-in rules' stay builtin's;
// a policy whose object selector does not match the stored labels finds nothing.
func TestPoliciesJudgeInEveryMode(t *testing.T) {
	set := policy.NewSet(
		compiled(t, "enforce", v1alpha1.ModeEnforce, nil, v1alpha1.StateUp, v1alpha1.StateDown),
		compiled(t, "warn", v1alpha1.ModeWarn, map[string]v1alpha1.LabelValue{"tier": "db"}, v1alpha1.StateUp),
		compiled(t, "audit", v1alpha1.ModeAudit, nil, v1alpha1.StateUp),
		compiled(t, "elsewhere", v1alpha1.ModeEnforce, map[string]v1alpha1.LabelValue{"tier": "web"}),
	)
	judge := NewPolicies(NewBuiltin(linkstate.Static(linkstate.DefaultConfig())), policy.Static{Set: set})
	s := vmiSubject(t, map[string]string{"tier": "db"},
		Ifaces(Masquerade("default", ""), Bridge("down", "linkDown"), Bridge("gone", "absent"), SRIOV("vf", "linkDown")),
		Pod("default"), Multus("down"), Multus("gone"), Multus("vf"))
	got, err := judge.Judge(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	type short struct{ Policy, Rule, Field, Result string }
	var gotShort []short
	for _, r := range Sorted(got) {
		gotShort = append(gotShort, short{r.Policy, r.Rule, r.Field, string(r.Result)})
		if r.Message == "" {
			t.Errorf("%+v has no message", r)
		}
	}
	state := func(i string) string { return "spec.domain.devices.interfaces[" + i + "].state" }
	want := []short{
		// SR-IOV down: the built-in rule denies; the interface is judged by the
		// policies too (L1), the strictest mode speaking: Enforce allows down, so Warn.
		{"builtin", "B1", state("3"), "fail"},
		{"enforce", "L1", state("2"), "fail"}, // absent is not among up, down
		{"warn", "L1", state("1"), "warn"},    // down: Enforce allows it, Warn does not
		{"warn", "L1", state("3"), "warn"},
	}
	if diff := cmp.Diff(want, gotShort); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Alone, the Audit-mode policy's findings are what it would deny.
	judge = NewPolicies(NewBuiltin(linkstate.Static(linkstate.DefaultConfig())), policy.Static{Set: policy.NewSet(compiled(t, "audit", v1alpha1.ModeAudit, nil, v1alpha1.StateUp))})
	got, err = judge.Judge(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	audits := 0
	for _, r := range got {
		if r.Policy == "audit" {
			audits++
			if r.Rule != "L1" || r.Result != Fail {
				t.Errorf("audit result %+v, want L1 fail", r)
			}
		}
	}
	if audits != 3 {
		t.Errorf("%d results of the Audit-mode policy, want 3 (down, absent, SR-IOV down): %+v", audits, got)
	}
}

type unloaded struct{}

func (unloaded) Policies(context.Context) (*policy.Set, error) { return nil, errors.New("not loaded") }
func (unloaded) NamespaceLabels(context.Context, string) (labels.Set, error) {
	return nil, errors.New("not loaded")
}

// Without the policies the object is not judged (the scanner tries again), rather than
// judged by the built-in rules alone, which would drop the policies' results.
func TestPoliciesNotLoaded(t *testing.T) {
	judge := NewPolicies(NewBuiltin(linkstate.Static(linkstate.DefaultConfig())), unloaded{})
	if _, err := judge.Judge(context.Background(), vmiSubject(t, nil, Ifaces(SRIOV("vf", "linkDown")), Multus("vf"))); err == nil {
		t.Error("judged without the policies")
	}
	if names := judge.PolicyNames(context.Background()); names != nil {
		t.Errorf("names %v while not loaded", names)
	}
}

func TestStatusPatch(t *testing.T) {
	for _, tc := range []struct {
		count int
		first []Offender
		want  string
	}{
		{0, nil, `{"status":{"offenders":null,"violations":0}}`},
		{3, []Offender{{Kind: "VirtualMachine", Namespace: "a", Name: "b", Rule: "L1"}},
			`{"status":{"offenders":[{"kind":"VirtualMachine","namespace":"a","name":"b","rule":"L1"}],"violations":3}}`},
	} {
		if got := string(StatusPatch(tc.count, tc.first)); got != tc.want {
			t.Errorf("StatusPatch(%d, %v) = %s, want %s", tc.count, tc.first, got, tc.want)
		}
	}
}
