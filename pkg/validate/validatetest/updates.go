package validatetest

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// TransitionCases are updates of a VM for the rules that compare it with the VM before
// it (T1, T2): Want is what Transitions reports, at the VM's field paths, with the seed
// dialect. Running is what the old VM's status says.
var TransitionCases = map[string]TransitionCase{
	"T1 rejected: absent back to up on a running VM": {
		Old:     Spec(Ifaces(Masquerade("default", ""), Bridge("sec", "absent")), Pod("default"), Multus("sec")),
		New:     Spec(Ifaces(Masquerade("default", ""), Bridge("sec", "linkUp")), Pod("default"), Multus("sec")),
		Running: true,
		Want:    finding.Findings{finding.Deny(finding.RuleAbsentIsFinal, field.Forbidden(VMStatePath(1), fmt.Sprintf(validate.Texts.AbsentIsFinal, "sec")))},
	},
	"T1 rejected: absent back to empty or down on a running VM": {
		Old:     Spec(Ifaces(Bridge("a", "absent"), Bridge("b", "absent")), Multus("a"), Multus("b")),
		New:     Spec(Ifaces(Bridge("a", ""), Bridge("b", "linkDown")), Multus("a"), Multus("b")),
		Running: true,
		Want: finding.Findings{
			finding.Deny(finding.RuleAbsentIsFinal, field.Forbidden(VMStatePath(0), fmt.Sprintf(validate.Texts.AbsentIsFinal, "a"))),
			finding.Deny(finding.RuleAbsentIsFinal, field.Forbidden(VMStatePath(1), fmt.Sprintf(validate.Texts.AbsentIsFinal, "b"))),
		},
	},
	"T1 allowed: absent back to up on a stopped VM": {
		Old: Spec(Ifaces(Bridge("sec", "absent")), Multus("sec")),
		New: Spec(Ifaces(Bridge("sec", "linkUp")), Multus("sec")),
	},
	"T1 allowed: absent stays absent, or the interface is removed, on a running VM": {
		Old:     Spec(Ifaces(Bridge("a", "absent"), Bridge("b", "absent")), Multus("a"), Multus("b")),
		New:     Spec(Ifaces(Bridge("a", "absent")), Multus("a")),
		Running: true,
	},
	"T1 allowed: the same name back as a new, re-added interface after removal": {
		Old:     Spec(Ifaces(Masquerade("default", "")), Pod("default")),
		New:     Spec(Ifaces(Masquerade("default", ""), Bridge("sec2", "linkDown")), Pod("default"), Multus("sec2")),
		Running: true,
	},
	"T2 allowed: hot-plugging bridge (down) and SR-IOV interfaces": {
		Old:     Spec(Ifaces(Masquerade("default", "")), Pod("default")),
		New:     Spec(Ifaces(Masquerade("default", ""), Bridge("sec", "linkDown"), SRIOV("vf", "")), Pod("default"), Multus("sec"), Multus("vf")),
		Running: true,
	},
	"T2 warned: hot-plugging a plugin and a passtBinding interface": {
		Old:     Spec(Ifaces(Masquerade("default", "")), Pod("default")),
		New:     Spec(Ifaces(Masquerade("default", ""), Plugin("p", "good-plugin", ""), PasstBinding("q", "")), Pod("default"), Multus("p"), Multus("q")),
		Running: true,
		Want: finding.Findings{
			finding.Warn(finding.RuleHotplugNotBridged, VMStatePath(1), fmt.Sprintf(validate.Texts.HotplugNotBridged, "p", "good-plugin")),
			finding.Warn(finding.RuleHotplugNotBridged, VMStatePath(2), fmt.Sprintf(validate.Texts.HotplugNotBridged, "q", "passtBinding")),
		},
	},
	"T2 allowed: any new interface on a stopped VM": {
		Old: Spec(nil),
		New: Spec(Ifaces(Masquerade("default", "")), Pod("default")),
	},
}

// UpdateCases are updates for the rule that judges only what changed: Want is what
// InterfacesUpdate reports at a VMI's field paths, with the default configuration.
var UpdateCases = map[string]UpdateCase{
	"an untouched illegal value is not judged again": {
		Old: Spec(Ifaces(Bridge("a", "sideways"), SRIOV("vf", "linkDown")), Multus("a"), Multus("vf")),
		New: Spec(Ifaces(Bridge("a", "sideways"), SRIOV("vf", "linkDown")), Multus("a"), Multus("vf")),
	},
	"a changed value is judged": {
		Old:  Spec(Ifaces(Bridge("a", "sideways")), Multus("a")),
		New:  Spec(Ifaces(Bridge("a", "upside")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("upside"), seedLegal))},
	},
	"a changed binding is judged": {
		Old:  Spec(Ifaces(Bridge("vf", "linkDown")), Multus("vf")),
		New:  Spec(Ifaces(SRIOV("vf", "linkDown")), Multus("vf")),
		Want: finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), validate.Texts.SRIOV))},
	},
	"a changed model is judged": {
		Old:  Spec(Ifaces(Bridge("a", "absent")), Multus("a")),
		New:  Spec(Ifaces(WithModel(Bridge("a", "absent"), "e1000")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentBinding, field.Invalid(modelPath(0), "e1000", validate.Texts.AbsentModel))},
	},
	"a network that became the default one is judged": {
		Old:  Spec(Ifaces(Bridge("a", "absent")), Multus("a")),
		New:  Spec(Ifaces(Bridge("a", "absent")), MultusDefault("a")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentDefault, "linkDown")))},
	},
	"a new interface is judged, reordering is not a change": {
		Old:  Spec(Ifaces(SRIOV("vf", "linkDown")), Multus("vf")),
		New:  Spec(Ifaces(Bridge("new", "bogus"), SRIOV("vf", "linkDown")), Multus("vf"), Multus("new")),
		Want: finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("bogus"), seedLegal))},
	},

	// An update that only respells a state — what the mutator does to a stored alias on
	// every update — leaves the interface unchanged, so an object stored before a dialect
	// change (or before the webhook) stays updatable. FuzzRules found the opposite: a stored
	// `up` on an SR-IOV or unsupported-plugin interface made every later update, finalizer
	// removal included, a denial.
	"respelling: alias rewritten to its canonical spelling: unchanged": respelled("up", "linkUp", nil),
	"respelling: canonical written as its alias: unchanged":            respelled("linkDown", "down", nil),
	"respelling: empty to up is a change, judged": respelled("", "linkUp",
		finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkUp"), validate.Texts.SRIOV))}),
	"respelling: up to down is a change, judged": respelled("up", "linkDown",
		finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), validate.Texts.SRIOV))}),
	"respelling: one illegal value for another is a change, judged": respelled("sideways", "Down",
		finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("Down"), seedLegal))}),
	"respelling: the same illegal value: unchanged": respelled("sideways", "sideways", nil),
}

// respelled is an update of an SR-IOV interface's state from old to new.
func respelled(old, new v1.InterfaceState, want finding.Findings) UpdateCase {
	return UpdateCase{
		Old:  Spec(Ifaces(SRIOV("vf", old)), Multus("vf")),
		New:  Spec(Ifaces(SRIOV("vf", new)), Multus("vf")),
		Want: want,
	}
}
