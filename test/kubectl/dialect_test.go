package kubectl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// A VM whose interfaces spell no state: the webhook defaults only bindings known to apply
// link state (D1), so an unknown binding plugin keeps its empty state and the plugin must
// find the cluster's spelling by asking it.
var pluginIfaces = []iface{{name: "acme", binding: "plugin:acme"}, {name: "fast", binding: "sriov"}}

// The webhook in the seed dialect (the suite's default): the spelling the VM uses, or the
// one a dry run comes back with, is written; either spelling lands canonical.
func TestSpellingWithTheWebhook(t *testing.T) {
	ns := namespace(t)
	const b4 = "Warning: spec.template.spec.domain.devices.interfaces[0].state: "

	t.Run("asked by dry run: the mutator's rewrite names the dialect", func(t *testing.T) {
		createVM(t, ns, "plug", pluginIfaces...)
		r := cli(t, "-n", ns, "set", "vm", "plug", "acme=down")
		r.expect(t, 0, []string{"virtualmachine.kubevirt.io/plug patched: acme (empty) -> linkDown\n"}, []string{b4})
		// One warning (B4, unknown plugin) from the real patch; the dry run's are not shown,
		// and no alias was rewritten.
		if strings.Count(r.stderr, "Warning:") != 1 || strings.Contains(r.stderr, "dialect's spelling") {
			t.Errorf("warnings: %q", r.stderr)
		}
		if diff := cmp.Diff([]string{"acme=linkDown", "fast="}, states(t, get(t, vmGVK, ns, "plug"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
	})

	t.Run("--dialect forces a spelling; the mutator still stores the canonical one", func(t *testing.T) {
		createVM(t, ns, "forced", webIfaces...)
		r := cli(t, "-n", ns, "set", "vm", "forced", "blue=up", "--dialect=upstream")
		r.expect(t, 0, []string{"blue linkDown -> linkUp"}, []string{
			`Warning: spec.template.spec.domain.devices.interfaces[1].state: "up" is the upstream dialect's spelling; stored as "linkUp", the spelling this cluster uses`,
		})
		if diff := cmp.Diff([]string{"default=linkUp", "blue=linkUp", "fast="}, states(t, get(t, vmGVK, ns, "forced"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
		// get shows the spelling it is told to.
		r = cli(t, "-n", ns, "get", "vm", "forced", "--dialect=upstream", "--no-headers")
		r.expect(t, 0, []string{"blue      bridge       blue-nad   up "}, nil)
	})
}

// Without the webhook, on a KubeVirt that knows one spelling only: the dry run in the
// upstream spelling is denied on the interface's state in a seed-only cluster, so the seed
// spelling is tried and written; an upstream-only cluster accepts the first.
func TestSpellingWithoutTheWebhook(t *testing.T) {
	for _, knows := range linkstate.Spellings {
		t.Run(string(knows), func(t *testing.T) {
			ns := oneSpellingKubeVirt(t, knows)
			createVM(t, ns, "web", iface{name: "default", binding: "masquerade", pod: true}, iface{name: "blue", binding: "bridge"})
			r := cli(t, "-n", ns, "set", "vm", "web", "blue=down")
			r.expect(t, 0, []string{"virtualmachine.kubevirt.io/web patched: blue (empty) -> " + string(knows.Down()) + "\n"}, nil)
			if r.stderr != "" {
				t.Errorf("stderr: %q", r.stderr)
			}
			if diff := cmp.Diff([]string{"default=", "blue=" + string(knows.Down())}, states(t, get(t, vmGVK, ns, "web"))); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
			// Forced into the wrong spelling, the cluster's denial is shown as it is.
			r = cli(t, "-n", ns, "set", "vm", "web", "blue=up", "--dialect="+string(knows.Other()))
			r.expect(t, 1, nil, []string{`The VirtualMachine "web" is invalid: spec.template.spec.domain.devices.interfaces[1].state: ` +
				`interface state "` + string(knows.Other().Up()) + `" is not supported`})
		})
	}
}

// The webhook in the upstream dialect: get, set and unplug on VMs and VMIs.
func TestUpstreamDialect(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	if err := env.RestartWebhook(ctx, "--dialect=upstream"); err != nil {
		t.Fatalf("restarting the webhook in the upstream dialect: %v", err)
	}
	t.Logf("webhook restarted in the upstream dialect in %v", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := env.RestartWebhook(ctx); err != nil {
			t.Fatalf("restoring the seed dialect: %v", err)
		}
	})
	ns := namespace(t)
	createVM(t, ns, "web", append(webIfaces, iface{name: "red", binding: "bridge"})...)
	startVM(t, ns, "web")
	playKubeVirt(t, ns, "web", true, 200*time.Millisecond)

	t.Run("get", func(t *testing.T) {
		r := cli(t, "-n", ns, "get", "vm", "web")
		want := `INTERFACE   BINDING      NETWORK    DESIRED   REPORTED   IN-SYNC
default     masquerade   pod        up        up         yes
blue        bridge       blue-nad   down      down       yes
fast        sriov        fast-nad   up        -          -
red         bridge       red-nad    up        up         yes
`
		r.expect(t, 0, nil, nil)
		if diff := cmp.Diff(want, r.stdout); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	})

	t.Run("set, in either spelling, written in the cluster's", func(t *testing.T) {
		r := cli(t, "-n", ns, "set", "vm", "web", "blue=linkUp", "red=down")
		r.expect(t, 0, []string{"blue down -> up, red up -> down\n", "vmi/web reports: blue up ✓, red down ✓"}, nil)
		if r.stderr != "" {
			t.Errorf("stderr: %q", r.stderr)
		}
		if diff := cmp.Diff([]string{"default=up", "blue=up", "fast=", "red=down"}, states(t, get(t, vmGVK, ns, "web"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
	})

	t.Run("--dialect forces the seed spelling; the mutator stores the upstream one", func(t *testing.T) {
		r := cli(t, "-n", ns, "set", "vm", "web", "red=up", "--dialect=seed", "--wait=false")
		r.expect(t, 0, []string{"red down -> up\n"}, []string{
			`Warning: spec.template.spec.domain.devices.interfaces[3].state: "linkUp" is the seed dialect's spelling; stored as "up", the spelling this cluster uses`})
		if diff := cmp.Diff([]string{"default=up", "blue=up", "fast=", "red=up"}, states(t, get(t, vmGVK, ns, "web"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
		cli(t, "-n", ns, "set", "vm", "web", "red=down").expect(t, 0, []string{"vmi/web reports: red down ✓"}, nil)
	})

	t.Run("denied: SR-IOV", func(t *testing.T) {
		r := cli(t, "-n", ns, "set", "vm", "web", "fast=down")
		r.expect(t, 1, nil, []string{`spec.template.spec.domain.devices.interfaces[2].state: Invalid value: "down": link state cannot be set on an SR-IOV interface`})
	})

	t.Run("asked by dry run", func(t *testing.T) {
		createVM(t, ns, "plug", pluginIfaces...)
		cli(t, "-n", ns, "set", "vm", "plug", "acme=linkDown").expect(t, 0, []string{"acme (empty) -> down\n"}, nil)
		if diff := cmp.Diff([]string{"acme=down", "fast="}, states(t, get(t, vmGVK, ns, "plug"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
	})

	t.Run("unplug", func(t *testing.T) {
		r := cli(t, "-n", ns, "unplug", "vm", "web", "red", "--yes")
		r.expect(t, 0, []string{"red down -> absent", "vmi/web reports: red absent ✓"}, nil)
	})

	t.Run("a VMI of its own", func(t *testing.T) {
		createVMI(t, ns, "solo", nil, iface{name: "default", binding: "masquerade", pod: true}, iface{name: "blue", binding: "bridge"})
		playKubeVirt(t, ns, "solo", false, 200*time.Millisecond)
		r := cli(t, "-n", ns, "set", "vmi", "solo", "blue=down")
		r.expect(t, 0, []string{"virtualmachineinstance.kubevirt.io/solo patched: blue up -> down\n", "vmi/solo reports: blue down ✓"}, nil)
		if diff := cmp.Diff([]string{"default=up", "blue=down"}, states(t, get(t, vmiGVK, ns, "solo"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
		r = cli(t, "-n", ns, "unplug", "vmi", "solo", "blue", "--yes")
		r.expect(t, 0, []string{"blue down -> absent", "vmi/solo reports: blue absent ✓"}, nil)
	})
}

// A VM's VMI is the VM controller's to change: set and unplug refuse it and point at the VM.
func TestControlledVMI(t *testing.T) {
	ns := namespace(t)
	createVM(t, ns, "web", webIfaces...)
	startVM(t, ns, "web")
	before := get(t, vmiGVK, ns, "web")
	cli(t, "-n", ns, "set", "vmi", "web", "blue=up").expect(t, 1, nil, []string{
		"error: vmi/web is controlled by vm/web, whose controller would undo a change made on the VMI: set it on the VM instead (kubectl linkstate set vm web ...)"})
	cli(t, "-n", ns, "unplug", "vmi", "web", "blue", "--yes").expect(t, 1, nil, []string{"vmi/web is controlled by vm/web"})
	if after := get(t, vmiGVK, ns, "web"); after.GetResourceVersion() != before.GetResourceVersion() {
		t.Errorf("the VMI changed: %q", states(t, after))
	}
}
