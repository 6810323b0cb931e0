package kubectl

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestUnplug(t *testing.T) {
	ns := namespace(t)
	createVM(t, ns, "web", append(webIfaces, iface{name: "red", binding: "bridge"})...)
	startVM(t, ns, "web")
	playKubeVirt(t, ns, "web", true, 200*time.Millisecond)
	admin := invocation{kubeconfig: env.Kubeconfig}

	t.Run("asks first on a running VM; no means no", func(t *testing.T) {
		for _, answer := range []string{"n\n", "", "maybe\n"} {
			r := invocation{kubeconfig: env.Kubeconfig, stdin: answer}.run(t, "-n", ns, "unplug", "vm", "web", "blue")
			r.expect(t, 1, nil, []string{
				`Unplugging interface "blue" from running vm/web is final while it runs`,
				"Unplug? [y/N]: ",
				"error: aborted: nothing was changed (pass --yes to unplug without being asked)",
			})
		}
		if diff := cmp.Diff([]string{"default=linkUp", "blue=linkDown", "fast=", "red=linkUp"}, states(t, get(t, vmGVK, ns, "web"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
	})

	t.Run("yes: unplugged, and waits until the VMI no longer reports it", func(t *testing.T) {
		r := invocation{kubeconfig: env.Kubeconfig, stdin: "y\n"}.run(t, "-n", ns, "unplug", "vm", "web", "blue")
		r.expect(t, 0, []string{"virtualmachine.kubevirt.io/web patched: blue linkDown -> absent\n", "vmi/web reports: blue absent ✓"},
			[]string{"Unplug? [y/N]: "})
		if diff := cmp.Diff([]string{"default=linkUp", "blue=absent", "fast=", "red=linkUp"}, states(t, get(t, vmGVK, ns, "web"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"default=up", "fast=", "red=up"}, reported(t, get(t, vmiGVK, ns, "web"))); diff != "" {
			t.Errorf("reported (-want +got):\n%s", diff)
		}
		// And it cannot come back while the VM runs (rule T1): the webhook says so.
		admin.run(t, "-n", ns, "set", "vm", "web", "blue=up").expect(t, 1, nil, []string{`The VirtualMachine "web" is invalid: spec.template.spec.domain.devices.interfaces[1].state: Forbidden: interface "blue" was hot-unplugged`})
	})

	t.Run("--yes; the webhook denies unplugging the pod network", func(t *testing.T) {
		r := admin.run(t, "-n", ns, "unplug", "vm", "web", "default", "--yes")
		r.expect(t, 1, nil, []string{`The VirtualMachine "web" is invalid: ` + "\n" +
			`* spec.template.spec.domain.devices.interfaces[0].state: Invalid value: "absent": hot-unplug (state absent) is supported only for interfaces with the bridge binding`,
			`* spec.template.spec.domain.devices.interfaces[0].state: Invalid value: "absent": the interface on the default network`})
		if r.stdout != "" || containsAny(r.stderr, "Unplug?") {
			t.Errorf("--yes asked, or something was printed: %s", r)
		}
	})

	t.Run("a stopped VM is not asked", func(t *testing.T) {
		createVM(t, ns, "idle", webIfaces...)
		r := admin.run(t, "-n", ns, "unplug", "vm/idle", "blue")
		r.expect(t, 0, []string{"blue linkDown -> absent", "vm/idle is not running"}, nil)
		if containsAny(r.stderr, "Unplug?") {
			t.Errorf("asked on a stopped VM: %s", r)
		}
	})

	t.Run("mistakes", func(t *testing.T) {
		admin.run(t, "-n", ns, "unplug", "vm", "web").expect(t, 2, nil, []string{"name at least one interface to unplug"})
		admin.run(t, "-n", ns, "unplug", "vm", "web", "red=down").expect(t, 2, nil, []string{"unplug takes interface names"})
		admin.run(t, "-n", ns, "unplug", "vm", "web", "green", "--yes").expect(t, 1, nil, []string{`vm/web has no interface "green"`})
	})
}
