package envtest

import (
	"context"
	"strings"
	"testing"
)

// Rejections as a user sees them: the 422 Invalid status kubectl prints, the field it
// names, and a message that says what to do.
func TestRejections(t *testing.T) {
	ns := namespace(t)
	const ifaces = "spec.template.spec.domain.devices.interfaces"
	tests := map[string]struct {
		manifest string
		causes   map[string]string // field -> message fragment
		printed  string            // fragment of what kubectl prints
	}{
		"bad value": {
			manifest: vm("bad-value", []iface{{name: "sec", binding: "bridge", state: "sideways"}}, []network{{"sec", "multus"}}),
			causes:   map[string]string{ifaces + "[0].state": `Unsupported value: "sideways": supported values: "linkUp", "linkDown", "absent", "up", "down"`},
			printed:  `admission webhook "vvirtualmachine.linkstate.kubevirt.io" denied the request: VirtualMachine.kubevirt.io "bad-value" is invalid`,
		},
		"SR-IOV down": {
			manifest: vm("sriov-down", []iface{{name: "vf", binding: "sriov", state: "linkDown"}}, []network{{"vf", "multus"}}),
			causes:   map[string]string{ifaces + "[0].state": "link state cannot be set on an SR-IOV interface"},
			printed:  "leave state empty and set the link from inside the guest",
		},
		"absent on the pod network": {
			manifest: vm("absent-pod", []iface{{name: "default", binding: "bridge", state: "absent"}}, []network{{"default", "pod"}}),
			causes:   map[string]string{ifaces + "[0].state": "the interface on the default network (the pod network, or a Multus network with default: true) cannot be hot-unplugged"},
			printed:  "set state to linkDown to take its link down instead",
		},
		"absent on an e1000 model": {
			manifest: vm("absent-e1000", []iface{{name: "default", binding: "masquerade"}, {name: "sec", binding: "bridge", state: "absent", model: "e1000"}},
				[]network{{"default", "pod"}, {"sec", "multus"}}),
			causes:  map[string]string{ifaces + "[1].model": `Invalid value: "e1000": hot-unplug (state absent) requires the virtio model`},
			printed: "remove model or set it to virtio",
		},
		"every violation at once": {
			manifest: vm("all-at-once", []iface{{name: "vf", binding: "sriov", state: "linkUp"}, {name: "x", binding: "bridge", state: "Down"}},
				[]network{{"vf", "multus"}, {"x", "multus"}}),
			causes: map[string]string{
				ifaces + "[0].state": "SR-IOV",
				ifaces + "[1].state": `Unsupported value: "Down"`,
			},
			printed: "[spec.template.spec.domain.devices.interfaces[0].state",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := c.Create(context.Background(), object(t, ns, tc.manifest))
			printed := invalid(t, err, tc.causes)
			if !strings.Contains(printed, tc.printed) {
				t.Errorf("kubectl would print:\n%s\nwant it to contain %q", printed, tc.printed)
			}
		})
	}
}

// A VMI is judged by the same rules, at spec.domain....
func TestRejectionsVMI(t *testing.T) {
	ns := namespace(t)
	err := c.Create(context.Background(), object(t, ns, vmi("vmi-bad",
		[]iface{{name: "vf", binding: "sriov", state: "linkDown"}}, []network{{"vf", "multus"}})))
	invalid(t, err, map[string]string{"spec.domain.devices.interfaces[0].state": "SR-IOV"})
}

// T1 on a running VM: an unplugged interface cannot come back under the same name.
func TestRejectionAbsentBackToUpOnRunningVM(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vm("replug",
		[]iface{{name: "default", binding: "masquerade"}, {name: "sec", binding: "bridge", state: "absent"}},
		[]network{{"default", "pod"}, {"sec", "multus"}}))); err != nil {
		t.Fatalf("create: %v", err)
	}
	running := markRunning(t, get(t, vmGVK, ns, "replug"))
	setStates(t, running, map[string]string{"sec": "linkUp"})
	err := c.Update(ctx, running)
	printed := invalid(t, err, map[string]string{
		"spec.template.spec.domain.devices.interfaces[1].state": `interface "sec" was hot-unplugged (state absent) from the running VM and cannot be plugged back in`,
	})
	if !strings.Contains(printed, "to plug it again, add it under a new name") {
		t.Errorf("kubectl would print %q: want the advice to use a new name", printed)
	}
	if got := states(t, get(t, vmGVK, ns, "replug"))["sec"]; got != "absent" {
		t.Errorf("stored state %q, want absent (the update must not have landed)", got)
	}
}
