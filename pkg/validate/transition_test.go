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

func TestTransitions(t *testing.T) {
	vmStatePath := func(i int) *field.Path {
		return field.NewPath("spec", "template", "spec", "domain", "devices", "interfaces").Index(i).Child("state")
	}
	tests := map[string]struct {
		old, new *v1.VirtualMachineInstanceSpec
		running  bool
		want     finding.Findings
	}{
		"T1 rejected: absent back to up on a running VM": {
			old:     Spec(Ifaces(Masquerade("default", ""), Bridge("sec", "absent")), Pod("default"), Multus("sec")),
			new:     Spec(Ifaces(Masquerade("default", ""), Bridge("sec", "linkUp")), Pod("default"), Multus("sec")),
			running: true,
			want:    finding.Findings{finding.Deny(finding.RuleAbsentIsFinal, field.Forbidden(vmStatePath(1), fmt.Sprintf(msgAbsentIsFinal, "sec")))},
		},
		"T1 rejected: absent back to empty or down on a running VM": {
			old:     Spec(Ifaces(Bridge("a", "absent"), Bridge("b", "absent")), Multus("a"), Multus("b")),
			new:     Spec(Ifaces(Bridge("a", ""), Bridge("b", "linkDown")), Multus("a"), Multus("b")),
			running: true,
			want: finding.Findings{
				finding.Deny(finding.RuleAbsentIsFinal, field.Forbidden(vmStatePath(0), fmt.Sprintf(msgAbsentIsFinal, "a"))),
				finding.Deny(finding.RuleAbsentIsFinal, field.Forbidden(vmStatePath(1), fmt.Sprintf(msgAbsentIsFinal, "b"))),
			},
		},
		"T1 allowed: absent back to up on a stopped VM": {
			old: Spec(Ifaces(Bridge("sec", "absent")), Multus("sec")),
			new: Spec(Ifaces(Bridge("sec", "linkUp")), Multus("sec")),
		},
		"T1 allowed: absent stays absent, or the interface is removed, on a running VM": {
			old:     Spec(Ifaces(Bridge("a", "absent"), Bridge("b", "absent")), Multus("a"), Multus("b")),
			new:     Spec(Ifaces(Bridge("a", "absent")), Multus("a")),
			running: true,
		},
		"T1 allowed: the same name back as a new, re-added interface after removal": {
			old:     Spec(Ifaces(Masquerade("default", "")), Pod("default")),
			new:     Spec(Ifaces(Masquerade("default", ""), Bridge("sec2", "linkDown")), Pod("default"), Multus("sec2")),
			running: true,
		},
		"T2 allowed: hot-plugging bridge (down) and SR-IOV interfaces": {
			old:     Spec(Ifaces(Masquerade("default", "")), Pod("default")),
			new:     Spec(Ifaces(Masquerade("default", ""), Bridge("sec", "linkDown"), SRIOV("vf", "")), Pod("default"), Multus("sec"), Multus("vf")),
			running: true,
		},
		"T2 warned: hot-plugging a plugin and a passtBinding interface": {
			old:     Spec(Ifaces(Masquerade("default", "")), Pod("default")),
			new:     Spec(Ifaces(Masquerade("default", ""), Plugin("p", "good-plugin", ""), PasstBinding("q", "")), Pod("default"), Multus("p"), Multus("q")),
			running: true,
			want: finding.Findings{
				finding.Warn(finding.RuleHotplugNotBridged, vmStatePath(1), fmt.Sprintf(msgHotplugNotBridged, "p", "good-plugin")),
				finding.Warn(finding.RuleHotplugNotBridged, vmStatePath(2), fmt.Sprintf(msgHotplugNotBridged, "q", "passtBinding")),
			},
		},
		"T2 allowed: any new interface on a stopped VM": {
			old: Spec(nil),
			new: Spec(Ifaces(Masquerade("default", "")), Pod("default")),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Transitions(field.NewPath("spec", "template", "spec"), tc.new, tc.old, tc.running, linkstate.Seed)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInterfacesUpdate(t *testing.T) {
	tests := map[string]struct {
		old, new *v1.VirtualMachineInstanceSpec
		want     finding.Findings
	}{
		"an untouched illegal value is not judged again": {
			old: Spec(Ifaces(Bridge("a", "sideways"), SRIOV("vf", "linkDown")), Multus("a"), Multus("vf")),
			new: Spec(Ifaces(Bridge("a", "sideways"), SRIOV("vf", "linkDown")), Multus("a"), Multus("vf")),
		},
		"a changed value is judged": {
			old:  Spec(Ifaces(Bridge("a", "sideways")), Multus("a")),
			new:  Spec(Ifaces(Bridge("a", "upside")), Multus("a")),
			want: finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("upside"), seedLegal))},
		},
		"a changed binding is judged": {
			old:  Spec(Ifaces(Bridge("vf", "linkDown")), Multus("vf")),
			new:  Spec(Ifaces(SRIOV("vf", "linkDown")), Multus("vf")),
			want: finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath(0), v1.InterfaceState("linkDown"), msgSRIOV))},
		},
		"a changed model is judged": {
			old:  Spec(Ifaces(Bridge("a", "absent")), Multus("a")),
			new:  Spec(Ifaces(WithModel(Bridge("a", "absent"), "e1000")), Multus("a")),
			want: finding.Findings{finding.Deny(finding.RuleAbsentBinding, field.Invalid(modelPath(0), "e1000", msgAbsentModel))},
		},
		"a network that became the default one is judged": {
			old:  Spec(Ifaces(Bridge("a", "absent")), Multus("a")),
			new:  Spec(Ifaces(Bridge("a", "absent")), MultusDefault("a")),
			want: finding.Findings{finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath(0), v1.InterfaceState("absent"), fmt.Sprintf(msgAbsentDefault, "linkDown")))},
		},
		"a new interface is judged, reordering is not a change": {
			old:  Spec(Ifaces(SRIOV("vf", "linkDown")), Multus("vf")),
			new:  Spec(Ifaces(Bridge("new", "bogus"), SRIOV("vf", "linkDown")), Multus("vf"), Multus("new")),
			want: finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(statePath(0), v1.InterfaceState("bogus"), seedLegal))},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := InterfacesUpdate(specPath, tc.new, tc.old, linkstate.DefaultConfig())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// Object picks create or update rules, and the transitions only for a VM.
func TestObject(t *testing.T) {
	vm := func(running bool, s *v1.VirtualMachineInstanceSpec) *linkstate.Object {
		return &linkstate.Object{Kind: linkstate.VirtualMachine, Spec: *s, Running: running}
	}
	vmi := func(s *v1.VirtualMachineInstanceSpec) *linkstate.Object {
		return &linkstate.Object{Kind: linkstate.VirtualMachineInstance, Spec: *s}
	}
	unplugged := Spec(Ifaces(Bridge("sec", "absent")), Multus("sec"))
	replugged := Spec(Ifaces(Bridge("sec", "linkUp")), Multus("sec"))
	cfg := linkstate.DefaultConfig()

	if got := Object(vm(true, replugged), vm(true, unplugged), cfg); len(got) != 1 || got[0].Rule != finding.RuleAbsentIsFinal {
		t.Errorf("running VM update: findings = %v, want one %s", got, finding.RuleAbsentIsFinal)
	}
	if got := Object(vm(false, replugged), vm(false, unplugged), cfg); len(got) != 0 {
		t.Errorf("stopped VM update: findings = %v, want none", got)
	}
	// A VMI has no running status of its own: its spec follows the VM's, and T1 is the VM's business.
	if got := Object(vmi(replugged), vmi(unplugged), cfg); len(got) != 0 {
		t.Errorf("VMI update: findings = %v, want none", got)
	}
	bad := Spec(Ifaces(SRIOV("vf", "linkDown")), Multus("vf"))
	if got := Object(vm(false, bad), nil, cfg); len(got) != 1 || got[0].Err.Field != "spec.template.spec.domain.devices.interfaces[0].state" {
		t.Errorf("VM create: findings = %v, want one error at spec.template.spec...", got)
	}
	if got := Object(vmi(bad), nil, cfg); len(got) != 1 || got[0].Err.Field != "spec.domain.devices.interfaces[0].state" {
		t.Errorf("VMI create: findings = %v, want one error at spec...", got)
	}
}
