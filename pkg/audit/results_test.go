package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
)

func TestFromFindings(t *testing.T) {
	state := field.NewPath("spec", "domain", "devices", "interfaces").Index(1).Child("state")
	fs := finding.Findings{
		finding.Deny(finding.RuleSRIOV, field.Invalid(state, "linkDown", "no link on SR-IOV")),
		finding.Warn(finding.RuleDefaultNetDown, state, "probes stop"),
		{Rule: finding.RuleValue}, // neither: skipped
	}
	want := []Result{
		{Policy: "builtin", Rule: "B1", Result: Fail, Field: state.String(),
			Message: `spec.domain.devices.interfaces[1].state: Invalid value: "linkDown": no link on SR-IOV`},
		{Policy: "builtin", Rule: "P1", Result: Warn, Field: state.String(),
			Message: "spec.domain.devices.interfaces[1].state: probes stop"},
	}
	if diff := cmp.Diff(want, FromFindings(BuiltinPolicy, fs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := FromFindings(BuiltinPolicy, nil); len(got) != 0 {
		t.Errorf("no findings gave %v", got)
	}
}

// A LinkStatePolicy's findings are its own; an Audit-mode record is what it would do if
// enforced, and a record that it would allow (relaxing a rule) is no violation.
func TestFromPolicyFindings(t *testing.T) {
	state := field.NewPath("spec", "domain", "devices", "interfaces").Index(1).Child("state").String()
	fs := finding.Findings{
		{Rule: finding.RulePolicyState, Err: &field.Error{Type: field.ErrorTypeForbidden, Field: state, Detail: "no"}, Policy: "p"},
		{Rule: finding.RulePolicyNetwork, Warning: state + `: LinkStatePolicy "q" (Audit): L2 would deny: protected`, Field: state, Policy: "q", Audited: true},
		{Rule: finding.RuleDefaultNetDown, Warning: state + `: LinkStatePolicy "q" (Audit): P1 would warn: probes`, Field: state, Policy: "q", Audited: true},
		{Rule: finding.RuleDefaultNetDown, Warning: state + `: LinkStatePolicy "q" (Audit): P1 would be allowed: probes`, Field: state, Policy: "q", Audited: true},
	}
	want := []Result{
		{Policy: "p", Rule: "L1", Result: Fail, Field: state, Message: state + ": Forbidden: no"},
		{Policy: "q", Rule: "L2", Result: Fail, Field: state, Message: fs[1].Warning},
		{Policy: "q", Rule: "P1", Result: Warn, Field: state, Message: fs[2].Warning},
	}
	if diff := cmp.Diff(want, FromFindings(BuiltinPolicy, fs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSortedIsTotal(t *testing.T) {
	a := []Result{
		{Policy: "p", Rule: "L1", Field: "f[1]", Message: "m"},
		{Policy: "builtin", Rule: "P1", Field: "f[0]", Message: "m"},
		{Policy: "builtin", Rule: "B1", Field: "f[2]", Message: "m"},
		{Policy: "builtin", Rule: "B1", Field: "f[1]", Message: "m"},
	}
	b := []Result{a[2], a[0], a[3], a[1]}
	want := []Result{a[3], a[2], a[1], a[0]}
	if diff := cmp.Diff(want, Sorted(a)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, Sorted(b)); diff != "" {
		t.Errorf("another order sorts differently (-want +got):\n%s", diff)
	}
}
