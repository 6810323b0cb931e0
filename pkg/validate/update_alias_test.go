package validate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// An update that only respells a state — what the mutator does to a stored alias on every
// update — leaves the interface unchanged, so an object stored before a dialect change (or
// before the webhook) stays updatable. FuzzRules found the opposite: a stored `up` on an
// SR-IOV or unsupported-plugin interface made every later update, finalizer removal
// included, a denial.
func TestInterfacesUpdateRespelling(t *testing.T) {
	tests := map[string]struct {
		old, new v1.InterfaceState
		want     finding.Findings
	}{
		"alias rewritten to its canonical spelling: unchanged": {old: "up", new: "linkUp"},
		"canonical written as its alias: unchanged":            {old: "linkDown", new: "down"},
		"empty to up is a change, judged": {old: "", new: "linkUp",
			want: finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkUp"), msgSRIOV))}},
		"up to down is a change, judged": {old: "up", new: "linkDown",
			want: finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), msgSRIOV))}},
		"one illegal value for another is a change, judged": {old: "sideways", new: "Down",
			want: finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("Down"), seedLegal))}},
		"the same illegal value: unchanged": {old: "sideways", new: "sideways"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			old := Spec(Ifaces(SRIOV("vf", tc.old)), Multus("vf"))
			spec := Spec(Ifaces(SRIOV("vf", tc.new)), Multus("vf"))
			got := InterfacesUpdate(specPath, spec, old, linkstate.DefaultConfig())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
