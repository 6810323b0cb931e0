package validate

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// RuleCase is one row of the rule table. It is exported (from a _test file) so that the
// mutation property test in package validate_test can run over every row.
type RuleCase struct {
	Spec   *v1.VirtualMachineInstanceSpec
	Config func(*linkstate.Config)
	Want   finding.Findings
}

// ConfigOf is the case's configuration: the defaults, adjusted by the case.
func (c RuleCase) ConfigOf() linkstate.Config {
	cfg := linkstate.DefaultConfig()
	if c.Config != nil {
		c.Config(&cfg)
	}
	return cfg
}

var (
	specPath = field.NewPath("spec")
	// statePath is spec.domain.devices.interfaces[i].state, as for a VMI.
	statePath = func(i int) *field.Path {
		return specPath.Child("domain", "devices", "interfaces").Index(i).Child("state")
	}
	modelPath = func(i int) *field.Path {
		return specPath.Child("domain", "devices", "interfaces").Index(i).Child("model")
	}
	upstream = func(c *linkstate.Config) { c.Dialect = linkstate.Upstream }
	plugins  = func(c *linkstate.Config) {
		if err := c.SetPlugins([]string{"good-plugin"}, []string{"bad-plugin"}); err != nil {
			panic(err)
		}
	}
	seedLegal     = []string{"linkUp", "linkDown", "absent", "up", "down"}
	upstreamLegal = []string{"up", "down", "absent", "linkUp", "linkDown"}
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
			finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), msgSRIOV)),
			finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(1), v1.InterfaceState("linkUp"), msgSRIOV)),
		},
	},
	"B1 rejected: SR-IOV with an alias spelling": {
		Spec: Spec(Ifaces(SRIOV("a", "down")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("down"), msgSRIOV))},
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
		Want: finding.Findings{finding.Deny(finding.RulePasstBinding, field.Invalid(statePath(0), v1.InterfaceState("linkUp"), msgPasstBinding))},
	},
	"B3 warned: passtBinding up with --passt-binding=warn": {
		Spec:   Spec(Ifaces(PasstBinding("default", "linkUp")), Pod("default")),
		Config: func(c *linkstate.Config) { c.PasstBinding = linkstate.ActionWarn },
		Want:   finding.Findings{finding.Warn(finding.RulePasstBinding, statePath(0), msgPasstBinding)},
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
		Want:   finding.Findings{finding.Deny(finding.RuleBindingPlugin, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), fmt.Sprintf(msgPluginUnsupported, "bad-plugin")))},
	},
	"B4 warned: unknown plugin down": {
		Spec:   Spec(Ifaces(Plugin("a", "mystery", "linkDown")), Multus("a")),
		Config: plugins,
		Want:   finding.Findings{finding.Warn(finding.RuleBindingPlugin, statePath(0), fmt.Sprintf(msgPluginUnknown, "mystery"))},
	},
	"B4 rejected: unknown plugin up with --unknown-plugins=deny": {
		Spec:   Spec(Ifaces(Plugin("a", "mystery", "linkUp")), Multus("a")),
		Config: func(c *linkstate.Config) { c.UnknownPlugins = linkstate.ActionDeny },
		Want:   finding.Findings{finding.Deny(finding.RuleBindingPlugin, field.Invalid(statePath(0), v1.InterfaceState("linkUp"), fmt.Sprintf(msgPluginUnknown, "mystery")))},
	},

	// B5: discontinued bindings are KubeVirt's to reject.
	"B5 not judged: slirp, macvtap and legacy passt down": {
		Spec: Spec(Ifaces(Slirp("default", "linkDown"), Macvtap("b", "linkDown"), LegacyPasst("c", "linkUp")),
			Multus("default"), Multus("b"), Multus("c")),
	},

	// A1: absent only on bridge + virtio.
	"A1 allowed: absent on bridge, model empty or virtio": {
		Spec: Spec(Ifaces(Bridge("a", "absent"), WithModel(Bridge("b", "absent"), "virtio")),
			Multus("a"), Multus("b")),
	},
	// KubeVirt's admitter requires an explicit bridge for absent: no binding is not enough.
	"A1 rejected: absent on an interface with no binding asks for bridge: {}": {
		Spec: Spec(Ifaces(NoBinding("a", "absent")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(0), v1.InterfaceState("absent"), msgAbsentNoBinding))},
	},
	"A1 rejected: absent on an e1000 bridge names the model": {
		Spec: Spec(Ifaces(WithModel(Bridge("a", "absent"), "e1000")), Multus("a")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentBinding, field.Invalid(modelPath(0), "e1000", msgAbsentModel))},
	},
	"A1 rejected: absent on SR-IOV, masquerade, passtBinding and a plugin": {
		Spec: Spec(Ifaces(SRIOV("a", "absent"), Masquerade("b", "absent"), PasstBinding("c", "absent"), Plugin("d", "good-plugin", "absent")),
			Multus("a"), Multus("b"), Multus("c"), Multus("d")),
		Config: plugins,
		Want: finding.Findings{
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentBinding, "sriov"))),
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(1), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentBinding, "masquerade"))),
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(2), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentBinding, "passtBinding"))),
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(3), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentBinding, "good-plugin"))),
		},
	},

	// A2: absent never on the default network.
	"A2 allowed: absent on a secondary Multus network": {
		Spec: Spec(Ifaces(Masquerade("default", ""), Bridge("sec", "absent")), Pod("default"), Multus("sec")),
	},
	"A2 rejected: absent on the pod network": {
		Spec: Spec(Ifaces(Bridge("default", "absent")), Pod("default")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentDefault, "linkDown")))},
	},
	"A2 rejected: absent on a default Multus network": {
		Spec: Spec(Ifaces(Bridge("primary", "absent")), MultusDefault("primary")),
		Want: finding.Findings{finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentDefault, "linkDown")))},
	},
	"A1 and A2 together: absent on the pod network's masquerade interface": {
		Spec: Spec(Ifaces(Masquerade("default", "absent")), Pod("default")),
		Want: finding.Findings{
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentBinding, "masquerade"))),
			finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentDefault, "linkDown"))),
		},
	},
	"A2 rejected, upstream dialect: the advice uses its spelling": {
		Spec:   Spec(Ifaces(Bridge("default", "absent")), Pod("default")),
		Config: upstream,
		Want:   finding.Findings{finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentDefault, "down")))},
	},

	// P1: down on the default network warns.
	"P1 allowed silently: up on the pod network, down on a secondary one": {
		Spec: Spec(Ifaces(Masquerade("default", "linkUp"), Bridge("sec", "linkDown")), Pod("default"), Multus("sec")),
	},
	"P1 warned: down on the pod network": {
		Spec: Spec(Ifaces(Masquerade("default", "linkDown")), Pod("default")),
		Want: finding.Findings{finding.Warn(finding.RuleDefaultNetDown, statePath(0), msgDefaultNetDown)},
	},
	"P1 warned: down on a default Multus network": {
		Spec: Spec(Ifaces(Bridge("primary", "linkDown")), MultusDefault("primary")),
		Want: finding.Findings{finding.Warn(finding.RuleDefaultNetDown, statePath(0), msgDefaultNetDown)},
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
		Want: finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), msgSRIOV))},
	},

	// Every failing rule is reported, in interface order.
	"all violations at once": {
		Spec: Spec(Ifaces(Masquerade("default", "linkDown"), SRIOV("sr", "linkUp"), Bridge("x", "bogus"), WithModel(Bridge("y", "absent"), "rtl8139")),
			Pod("default"), Multus("sr"), Multus("x"), Multus("y")),
		Want: finding.Findings{
			finding.Warn(finding.RuleDefaultNetDown, statePath(0), msgDefaultNetDown),
			finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(1), v1.InterfaceState("linkUp"), msgSRIOV)),
			finding.Deny(finding.RuleValue, field.NotSupported(statePath(2), v1.InterfaceState("bogus"), seedLegal)),
			finding.Deny(finding.RuleAbsentBinding, field.Invalid(modelPath(3), "rtl8139", msgAbsentModel)),
		},
	},
}

func TestInterfaces(t *testing.T) {
	for name, tc := range RuleCases {
		t.Run(name, func(t *testing.T) {
			got := Interfaces(specPath, tc.Spec, tc.ConfigOf())
			if diff := cmp.Diff(tc.Want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// The VM form names its fields under spec.template.spec.
func TestInterfacesVMPath(t *testing.T) {
	vmPath := field.NewPath("spec", "template", "spec")
	got := Interfaces(vmPath, Spec(Ifaces(SRIOV("a", "linkDown")), Multus("a")), linkstate.DefaultConfig())
	want := "spec.template.spec.domain.devices.interfaces[0].state: Invalid value: \"linkDown\": " + msgSRIOV
	if errs := got.Errors(); len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("errors = %v, want exactly %q", errs, want)
	}
}

// The texts users read: field first, then what to do.
func TestUserFacingText(t *testing.T) {
	fs := Interfaces(specPath, Spec(Ifaces(Masquerade("default", "linkDown"), Bridge("x", "sideways")), Pod("default"), Multus("x")), linkstate.DefaultConfig())
	wantErr := `spec.domain.devices.interfaces[1].state: Unsupported value: "sideways": supported values: "linkUp", "linkDown", "absent", "up", "down"`
	if errs := fs.Errors(); len(errs) != 1 || errs[0].Error() != wantErr {
		t.Errorf("errors = %v, want exactly %q", errs, wantErr)
	}
	wantWarn := "spec.domain.devices.interfaces[0].state: the link of the interface on the default network will be down: " +
		"readiness and liveness probes, services and other cluster traffic through it stop working"
	if diff := cmp.Diff([]string{wantWarn}, fs.Warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
