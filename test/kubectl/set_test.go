package kubectl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSet(t *testing.T) {
	ns := namespace(t)

	t.Run("a running VM: one patch, then wait until the VMI reports it", func(t *testing.T) {
		createVM(t, ns, "web", webIfaces...)
		startVM(t, ns, "web")
		playKubeVirt(t, ns, "web", true, 300*time.Millisecond)
		before := get(t, vmGVK, ns, "web")
		r := cli(t, "-n", ns, "set", "vm", "web", "blue=up")
		r.expect(t, 0, []string{
			"virtualmachine.kubevirt.io/web patched: blue linkDown -> linkUp\n",
			"vmi/web reports: blue linkUp ✓",
		}, nil)
		if r.stderr != "" {
			t.Errorf("stderr: %q", r.stderr)
		}
		after := get(t, vmGVK, ns, "web")
		if diff := cmp.Diff([]string{"default=linkUp", "blue=linkUp", "fast="}, states(t, after)); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
		if got := reported(t, get(t, vmiGVK, ns, "web")); !cmp.Equal(got, []string{"default=up", "blue=up", "fast="}) {
			t.Errorf("the command returned before the VMI reported: %q", got)
		}
		if before.GetGeneration()+1 != after.GetGeneration() {
			t.Errorf("generation %d -> %d: want exactly one change", before.GetGeneration(), after.GetGeneration())
		}

		// Either spelling asks for the same; the cluster's is written, so no alias warning.
		r = cli(t, "-n", ns, "set", "vm", "web", "blue=down", "--timeout=20s")
		r.expect(t, 0, []string{"blue linkUp -> linkDown", "vmi/web reports: blue linkDown ✓"}, nil)
		if strings.Contains(r.stderr, "Warning") {
			t.Errorf("stderr: %q", r.stderr)
		}
	})

	t.Run("the webhook's warnings are printed as kubectl prints them", func(t *testing.T) {
		r := cli(t, "-n", ns, "set", "vm", "web", "default=down", "--wait=false")
		r.expect(t, 0, []string{"virtualmachine.kubevirt.io/web patched: default linkUp -> linkDown\n"},
			[]string{"Warning: spec.template.spec.domain.devices.interfaces[0].state: "})
		if strings.Contains(r.stdout, "reports") {
			t.Errorf("--wait=false waited: %s", r)
		}
	})

	t.Run("denied by the webhook: its message, and nothing changes", func(t *testing.T) {
		before := get(t, vmGVK, ns, "web")
		r := cli(t, "-n", ns, "set", "vm", "web", "blue=up", "fast=down")
		r.expect(t, 1, nil, []string{
			`The VirtualMachine "web" is invalid: spec.template.spec.domain.devices.interfaces[2].state: Invalid value: "linkDown": link state cannot be set on an SR-IOV interface`,
		})
		if r.stdout != "" {
			t.Errorf("stdout: %q", r.stdout)
		}
		after := get(t, vmGVK, ns, "web")
		if after.GetResourceVersion() != before.GetResourceVersion() {
			t.Errorf("the VM changed: %q -> %q", states(t, before), states(t, after))
		}
	})

	t.Run("dry run: the server's verdict, nothing stored", func(t *testing.T) {
		before := get(t, vmGVK, ns, "web")
		r := cli(t, "-n", ns, "set", "vm", "web", "blue=up", "--dry-run=server")
		r.expect(t, 0, []string{"virtualmachine.kubevirt.io/web patched (server dry run): blue linkDown -> linkUp\n"}, nil)
		r = cli(t, "-n", ns, "set", "vm", "web", "fast=up", "--dry-run")
		r.expect(t, 1, nil, []string{`The VirtualMachine "web" is invalid: spec.template.spec.domain.devices.interfaces[2].state`})
		if after := get(t, vmGVK, ns, "web"); after.GetResourceVersion() != before.GetResourceVersion() {
			t.Errorf("a dry run changed the VM: %q", states(t, after))
		}
	})

	t.Run("nothing to change", func(t *testing.T) {
		r := cli(t, "-n", ns, "set", "vm", "web", "blue=linkDown", "--wait=false")
		r.expect(t, 0, []string{"virtualmachine.kubevirt.io/web patched (no change)\n"}, nil)
	})

	t.Run("a stopped VM: no wait", func(t *testing.T) {
		createVM(t, ns, "idle", webIfaces...)
		r := cli(t, "-n", ns, "set", "vm", "idle", "blue=up")
		r.expect(t, 0, []string{"blue linkDown -> linkUp", "vm/idle is not running: the change reaches the guest when it starts"}, nil)
	})

	t.Run("a VMI of its own", func(t *testing.T) {
		createVMI(t, ns, "solo", nil, iface{name: "default", binding: "masquerade", pod: true}, iface{name: "blue", binding: "bridge"})
		playKubeVirt(t, ns, "solo", false, 200*time.Millisecond)
		cli(t, "-n", ns, "get", "vmi", "solo", "--no-headers").expect(t, 0, []string{"blue      bridge       blue-nad   linkUp   linkUp   yes"}, nil)
		r := cli(t, "-n", ns, "set", "vmi", "solo", "blue=down")
		r.expect(t, 0, []string{"virtualmachineinstance.kubevirt.io/solo patched: blue linkUp -> linkDown\n", "vmi/solo reports: blue linkDown ✓"}, nil)
		r = cli(t, "-n", ns, "unplug", "vmi/solo", "blue", "--yes")
		r.expect(t, 0, []string{"blue linkDown -> absent", "vmi/solo reports: blue absent ✓"}, nil)
		if diff := cmp.Diff([]string{"default=linkUp", "blue=absent"}, states(t, get(t, vmiGVK, ns, "solo"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
	})

	t.Run("mistakes", func(t *testing.T) {
		before := get(t, vmGVK, ns, "web")
		for _, tc := range []struct {
			args   []string
			code   int
			stderr string
		}{
			{[]string{"set", "vm", "web", "green=down"}, 1, `error: vm/web has no interface "green" (it has: default, blue, fast)`},
			{[]string{"set", "vm", "web", "blue=off"}, 2, `unknown state "off"`},
			{[]string{"set", "vm", "web", "blue=absent"}, 2, "use `kubectl linkstate unplug`"},
			{[]string{"set", "vm", "web"}, 2, "at least one IFACE=STATE is required"},
			{[]string{"set", "vm", "web", "blue=up", "--dry-run=client"}, 2, "--dry-run=client is not supported"},
			{[]string{"set", "vm", "web", "blue=up", "--dialect=klingon"}, 2, `unknown dialect "klingon"`},
			{[]string{"set", "vm", "nope", "blue=up"}, 1, `Error from server (NotFound): virtualmachines.kubevirt.io "nope" not found`},
		} {
			cli(t, append([]string{"-n", ns}, tc.args...)...).expect(t, tc.code, nil, []string{tc.stderr})
		}
		if after := get(t, vmGVK, ns, "web"); after.GetResourceVersion() != before.GetResourceVersion() {
			t.Errorf("a mistake changed the VM: %q", states(t, after))
		}
	})
}

// --wait against a VMI nobody updates: the change is stored, the command says what is
// pending and where to look, and exits 3.
func TestSetWaitTimesOut(t *testing.T) {
	ns := namespace(t)
	createVM(t, ns, "web", webIfaces...)
	startVM(t, ns, "web")
	start := time.Now()
	r := cli(t, "-n", ns, "set", "vm", "web", "blue=up", "default=down", "--timeout=2s")
	r.expect(t, 3, []string{"virtualmachine.kubevirt.io/web patched: blue linkDown -> linkUp, default linkUp -> linkDown"}, []string{
		"error: timed out after 2s waiting for vmi/web to report the new link state",
		"  blue: desired linkUp, reported linkDown\n",
		"  default: desired linkDown, reported linkUp\n",
		"virt-handler on node node-1",
		"kubectl get vmi web -n " + ns + " -o jsonpath='{.status.interfaces}'",
	})
	if elapsed := time.Since(start); elapsed < 2*time.Second {
		t.Errorf("returned after %v, before the timeout", elapsed)
	}
	if diff := cmp.Diff([]string{"default=linkDown", "blue=linkUp", "fast="}, states(t, get(t, vmGVK, ns, "web"))); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}

	// The VM says it runs, but its VMI is gone: the message says that instead.
	if err := c.Delete(context.Background(), get(t, vmiGVK, ns, "web")); err != nil {
		t.Fatal(err)
	}
	r = cli(t, "-n", ns, "set", "vm", "web", "blue=down", "--timeout=1s")
	r.expect(t, 3, nil, []string{"waiting for vmi/web, which does not exist", "kubectl get vm web -n " + ns})
}
