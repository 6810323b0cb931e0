package validate

import (
	"testing"

	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

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
