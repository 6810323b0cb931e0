package validatetest

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// RuleCases has, for every rule of the README that judges a single spec, at least one row
// that passes it and one that fails it, plus the structural cases that must not panic.
var RuleCases = map[string]RuleCase{
	// V1: the value itself.
	"V1 allowed: every legal seed value": {
		Spec: Spec(Ifaces(Bridge("a", ""), Bridge("b", "linkUp"), Bridge("c", "linkDown"), Bridge("d", "absent"), Bridge("e", "up"), Bridge("f", "down")),
			Multus("a"), Multus("b"), Multus("c"), Multus("d"), Multus("e"), Multus("f")),
	},
	"V1 rejected: unknown value lists the legal ones": {
		Spec: Spec(Ifaces(Bridge("a", "sideways")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("sideways"), seedLegal))},
	},
	"V1 rejected: aliases match exact case only": {
		Spec: Spec(Ifaces(Bridge("a", "LinkDown"), Bridge("b", "Up")), Multus("a"), Multus("b")),
		Want: finding.Findings{
			finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("LinkDown"), seedLegal)),
			finding.Deny(finding.RuleValue, field.NotSupported(statePath(1), v1.InterfaceState("Up"), seedLegal)),
		},
	},
	"V1 allowed: upstream dialect takes linkUp and linkDown as aliases": {
		Spec:   Spec(Ifaces(Bridge("a", "linkDown"), Bridge("b", "up")), Multus("a"), Multus("b")),
		Config: upstream,
	},
	"V1 rejected: upstream dialect lists its own spelling first": {
		Spec:   Spec(Ifaces(Bridge("a", "off")), Multus("a")),
		Config: upstream,
		Want:   finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("off"), upstreamLegal))},
	},

	// B1: SR-IOV.
	"B1 allowed: SR-IOV with no state": {
		Spec: Spec(Ifaces(SRIOV("a", "")), Multus("a")),
	},
	"B1 rejected: SR-IOV down, and up too": {
		Spec: Spec(Ifaces(SRIOV("a", "linkDown"), SRIOV("b", "linkUp")), Multus("a"), Multus("b")),
		Want: finding.Findings{
			finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), validate.Texts.SRIOV)),
			finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(1), v1.InterfaceState("linkUp"), validate.Texts.SRIOV)),
		},
	},
	"B1 rejected: SR-IOV with an alias spelling": {
		Spec: Spec(Ifaces(SRIOV("a", "down")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("down"), validate.Texts.SRIOV))},
	},

	// B2: bridge and masquerade apply link state.
	"B2 allowed: bridge down, masquerade up, no binding down": {
		Spec: Spec(Ifaces(Masquerade("default", "linkUp"), Bridge("b", "linkDown"), NoBinding("c", "linkDown")),
			Pod("default"), Multus("b"), Multus("c")),
	},

	// B3: passtBinding.
	"B3 allowed: passtBinding with no state": {
		Spec: Spec(Ifaces(PasstBinding("default", "")), Pod("default")),
	},
	"B3 rejected: passtBinding up, deny by default": {
		Spec: Spec(Ifaces(PasstBinding("default", "linkUp")), Pod("default")),
		Want: finding.Findings{finding.Deny(finding.RulePasstBinding, field.Invalid(statePath(0), v1.InterfaceState("linkUp"), validate.Texts.PasstBinding))},
	},
	"B3 warned: passtBinding up with --passt-binding=warn": {
		Spec:   Spec(Ifaces(PasstBinding("default", "linkUp")), Pod("default")),
		Config: func(c *linkstate.Config) { c.PasstBinding = linkstate.ActionWarn },
		Want:   finding.Findings{finding.Warn(finding.RulePasstBinding, statePath(0), validate.Texts.PasstBinding)},
	},

	// B4: binding plugins.
	"B4 allowed: supported plugin down": {
		Spec:   Spec(Ifaces(Plugin("a", "good-plugin", "linkDown")), Multus("a")),
		Config: plugins,
	},
	"B4 allowed: unsupported plugin with no state": {
		Spec:   Spec(Ifaces(Plugin("a", "bad-plugin", "")), Multus("a")),
		Config: plugins,
	},
	"B4 rejected: unsupported plugin down": {
		Spec:   Spec(Ifaces(Plugin("a", "bad-plugin", "linkDown")), Multus("a")),
		Config: plugins,
		Want:   finding.Findings{finding.Deny(finding.RuleBindingPlugin, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), fmt.Sprintf(validate.Texts.PluginUnsupported, "bad-plugin")))},
	},
	"B4 warned: unknown plugin down": {
		Spec:   Spec(Ifaces(Plugin("a", "mystery", "linkDown")), Multus("a")),
		Config: plugins,
		Want:   finding.Findings{finding.Warn(finding.RuleBindingPlugin, statePath(0), fmt.Sprintf(validate.Texts.PluginUnknown, "mystery"))},
	},
	"B4 rejected: unknown plugin up with --unknown-plugins=deny": {
		Spec:   Spec(Ifaces(Plugin("a", "mystery", "linkUp")), Multus("a")),
		Config: func(c *linkstate.Config) { c.UnknownPlugins = linkstate.ActionDeny },
		Want:   finding.Findings{finding.Deny(finding.RuleBindingPlugin, field.Invalid(statePath(0), v1.InterfaceState("linkUp"), fmt.Sprintf(validate.Texts.PluginUnknown, "mystery")))},
	},

	// B5: discontinued bindings are KubeVirt's to reject.
	"B5 not judged: slirp, macvtap and legacy passt down": {
		Spec: Spec(Ifaces(Slirp("default", "linkDown"), Macvtap("b", "linkDown"), LegacyPasst("c", "linkUp")),
			Multus("default"), Multus("b"), Multus("c")),
	},

	// V1 on a cluster whose KubeVirt has no link state (dialect none).
	"V1 rejected, dialect none: up and down in either spelling say what the cluster needs": {
		Spec: Spec(Ifaces(Bridge("a", "linkDown"), Masquerade("b", "up"), Bridge("c", ""), Bridge("d", "absent")),
			Multus("a"), Pod("b"), Multus("c"), Multus("d")),
		Config: none,
		Want: finding.Findings{
			finding.Deny(finding.RuleValue, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), validate.Texts.NoLinkState)),
			finding.Deny(finding.RuleValue, field.Invalid(statePath(1), v1.InterfaceState("up"), validate.Texts.NoLinkState)),
		},
	},
	"V1 rejected, dialect none: an unknown value lists absent only": {
		Spec:   Spec(Ifaces(Bridge("a", "sideways")), Multus("a")),
		Config: none,
		Want:   finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("sideways"), []string{"absent"}))},
	},
	"A2 rejected, dialect none: no advice to take the link down": {
		Spec:   Spec(Ifaces(Bridge("default", "absent")), Pod("default")),
		Config: none,
		Want:   finding.Findings{finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), validate.Texts.AbsentDefaultNone))},
	},

	// A1: absent only on bridge + virtio.
	"A1 allowed: absent on bridge, model empty or virtio": {
		Spec: Spec(Ifaces(Bridge("a", "absent"), WithModel(Bridge("b", "absent"), "virtio")),
			Multus("a"), Multus("b")),
	},
	// KubeVirt's admitter requires an explicit bridge for absent: no binding is not enough.
	"A1 rejected: absent on an interface with no binding asks for bridge: {}": {
		Spec: Spec(Ifaces(NoBinding("a", "absent")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(0), v1.InterfaceState("absent"), validate.Texts.AbsentNoBinding))},
	},
	"A1 rejected: absent on an e1000 bridge names the model": {
		Spec: Spec(Ifaces(WithModel(Bridge("a", "absent"), "e1000")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentBinding, field.Invalid(modelPath(0), "e1000", validate.Texts.AbsentModel))},
	},
	"A1 rejected: absent on SR-IOV, masquerade, passtBinding and a plugin": {
		Spec: Spec(Ifaces(SRIOV("a", "absent"), Masquerade("b", "absent"), PasstBinding("c", "absent"), Plugin("d", "good-plugin", "absent")),
			Multus("a"), Multus("b"), Multus("c"), Multus("d")),
		Config: plugins,
		Want: finding.Findings{
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentBinding, "sriov"))),
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(1), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentBinding, "masquerade"))),
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(2), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentBinding, "passtBinding"))),
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(3), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentBinding, "good-plugin"))),
		},
	},

	// A2: absent never on the default network.
	"A2 allowed: absent on a secondary Multus network": {
		Spec: Spec(Ifaces(Masquerade("default", ""), Bridge("sec", "absent")), Pod("default"), Multus("sec")),
	},
	"A2 rejected: absent on the pod network": {
		Spec: Spec(Ifaces(Bridge("default", "absent")), Pod("default")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentDefault, "linkDown")))},
	},
	"A2 rejected: absent on a default Multus network": {
		Spec: Spec(Ifaces(Bridge("primary", "absent")), MultusDefault("primary")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentDefault, "linkDown")))},
	},
	"A1 and A2 together: absent on the pod network's masquerade interface": {
		Spec: Spec(Ifaces(Masquerade("default", "absent")), Pod("default")),
		Want: finding.Findings{
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentBinding, "masquerade"))),
			finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentDefault, "linkDown"))),
		},
	},
	"A2 rejected, upstream dialect: the advice uses its spelling": {
		Spec:   Spec(Ifaces(Bridge("default", "absent")), Pod("default")),
		Config: upstream,
		Want:   finding.Findings{finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(validate.Texts.AbsentDefault, "down")))},
	},

	// P1: down on the default network warns.
	"P1 allowed silently: up on the pod network, down on a secondary one": {
		Spec: Spec(Ifaces(Masquerade("default", "linkUp"), Bridge("sec", "linkDown")), Pod("default"), Multus("sec")),
	},
	"P1 warned: down on the pod network": {
		Spec: Spec(Ifaces(Masquerade("default", "linkDown")), Pod("default")),
		Want: finding.Findings{finding.Warn(finding.RuleDefaultNetDown, statePath(0), validate.Texts.DefaultNetDown)},
	},
	"P1 warned: down on a default Multus network": {
		Spec: Spec(Ifaces(Bridge("primary", "linkDown")), MultusDefault("primary")),
		Want: finding.Findings{finding.Warn(finding.RuleDefaultNetDown, statePath(0), validate.Texts.DefaultNetDown)},
	},

	// Structural errors are KubeVirt's: skipped, never a panic.
	"structural: interfaces with no network": {
		Spec: Spec(Ifaces(Bridge("a", "linkDown"), Bridge("b", "absent"))),
	},
	"structural: two bindings on one interface": {
		Spec: Spec(Ifaces(BridgeAndMasquerade("default", "linkDown")), Multus("default")),
	},
	"structural: no interfaces, no networks": {
		Spec: Spec(nil),
	},
	"structural: duplicate interface names are judged one by one": {
		Spec: Spec(Ifaces(SRIOV("a", "linkDown"), Bridge("a", "linkDown")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), validate.Texts.SRIOV))},
	},

	// Every failing rule is reported, in interface order.
	"all violations at once": {
		Spec: Spec(Ifaces(Masquerade("default", "linkDown"), SRIOV("sr", "linkUp"), Bridge("x", "bogus"), WithModel(Bridge("y", "absent"), "rtl8139")),
			Pod("default"), Multus("sr"), Multus("x"), Multus("y")),
		Want: finding.Findings{
			finding.Warn(finding.RuleDefaultNetDown, statePath(0), validate.Texts.DefaultNetDown),
			finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(1), v1.InterfaceState("linkUp"), validate.Texts.SRIOV)),
			finding.Deny(finding.RuleValue, field.NotSupported(statePath(2), v1.InterfaceState("bogus"), seedLegal)),
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(modelPath(3), "rtl8139", validate.Texts.AbsentModel)),
		},
	},
}
