package ownertool

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func TestBuildReport(t *testing.T) {
	ifaces := []v1.Interface{
		Masquerade("default", "linkUp"),
		Bridge("blue", "linkDown"),
		SRIOV("fast", ""),
		Bridge("gone", "absent"),
		WithModel(Bridge("old", "Down"), "e1000"), // stored before the webhook: not a legal value
		Bridge("orphan", ""),                      // no network: KubeVirt's validator reports it
	}
	nets := []v1.Network{Pod("default"), Multus("blue"), Multus("fast"), Multus("gone"), MultusDefault("old")}
	type row struct {
		Name, Binding, Network    string
		Default                   bool
		Desired, Reported, InSync string
	}
	rows := func(r Report) []row {
		var out []row
		for _, i := range r.Interfaces {
			out = append(out, row{i.Name, i.Binding, i.Network, i.DefaultNetwork, string(i.Desired), string(i.Reported), inSync(i.InSync)})
		}
		return out
	}

	t.Run("stopped VM: nothing reported", func(t *testing.T) {
		r := BuildReport(vmObject("web", false, ifaces, nets...), nil, linkstate.Seed)
		want := []row{
			{"default", "masquerade", "pod", true, "linkUp", "", "-"},
			{"blue", "bridge", "blue-nad", false, "linkDown", "", "-"},
			{"fast", "sriov", "fast-nad", false, "linkUp", "", "-"},
			{"gone", "bridge", "gone-nad", false, "absent", "", "-"},
			{"old", "bridge", "old-nad", true, "Down", "", "-"},
			{"orphan", "bridge", "", false, "linkUp", "", "-"},
		}
		if diff := cmp.Diff(want, rows(r)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if r.Running || r.Node != "" || r.Kind != "VirtualMachine" || r.Dialect != linkstate.Seed {
			t.Errorf("report header: %+v", r)
		}
	})

	t.Run("running VM: the VMI's report, in the VM's spelling", func(t *testing.T) {
		vmi := vmiObject("web", ifaces, []v1.VirtualMachineInstanceNetworkInterface{
			reports("default", "up"), reports("blue", "up"), {Name: "fast", MAC: "02:00:00:00:00:01"},
			reports("old", "down"), reports("orphan", "up"), reports("", "up"), // a guest-agent-only entry
		}, nets...)
		r := BuildReport(vmObject("web", true, ifaces, nets...), vmi, linkstate.Seed)
		want := []row{
			{"default", "masquerade", "pod", true, "linkUp", "linkUp", "yes"},
			{"blue", "bridge", "blue-nad", false, "linkDown", "linkUp", "no"},
			{"fast", "sriov", "fast-nad", false, "linkUp", "", "-"},
			{"gone", "bridge", "gone-nad", false, "absent", "absent", "yes"},
			{"old", "bridge", "old-nad", true, "Down", "linkDown", "-"},
			{"orphan", "bridge", "", false, "linkUp", "linkUp", "yes"},
		}
		if diff := cmp.Diff(want, rows(r)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !r.Running || r.Node != "node-1" || r.Interfaces[2].MAC != "02:00:00:00:00:01" {
			t.Errorf("report header or MAC: %+v", r)
		}
	})

	t.Run("an absent interface the VMI still lists is not unplugged yet", func(t *testing.T) {
		vmi := vmiObject("web", ifaces, []v1.VirtualMachineInstanceNetworkInterface{reports("gone", "up")}, nets...)
		r := BuildReport(vmi, vmi, linkstate.Upstream)
		got := rows(r)[3]
		if diff := cmp.Diff(row{"gone", "bridge", "gone-nad", false, "absent", "up", "no"}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if r.Kind != "VirtualMachineInstance" || !r.Running {
			t.Errorf("a VMI report: %+v", r)
		}
	})

	t.Run("upstream spelling, empty read as up", func(t *testing.T) {
		vm := vmObject("web", true, []v1.Interface{Bridge("blue", ""), Bridge("red", "down")}, Multus("blue"), Multus("red"))
		vmi := vmiObject("web", nil, []v1.VirtualMachineInstanceNetworkInterface{reports("blue", "up"), reports("red", "up")})
		want := []row{
			{"blue", "bridge", "blue-nad", false, "up", "up", "yes"},
			{"red", "bridge", "red-nad", false, "down", "up", "no"},
		}
		if diff := cmp.Diff(want, rows(BuildReport(vm, vmi, linkstate.Upstream))); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}
