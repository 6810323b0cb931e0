package envtest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The upstream dialect (stock KubeVirt >= v1.5 spells link state up/down): the same
// stories, with the webhook binary restarted with --dialect=upstream.
func TestUpstreamDialect(t *testing.T) {
	ctx := context.Background()
	if err := env.RestartWebhook(ctx, "--dialect=upstream"); err != nil {
		t.Fatalf("restarting the webhook in the upstream dialect: %v", err)
	}
	t.Cleanup(func() {
		if err := env.RestartWebhook(ctx); err != nil {
			t.Fatalf("restoring the seed dialect: %v", err)
		}
	})
	ns := namespace(t)

	t.Run("created down, then up; empty stored as up", func(t *testing.T) {
		warnings.Take()
		if err := c.Create(ctx, object(t, ns, vm("up1",
			[]iface{{name: "default", binding: "masquerade"}, {name: "sec", binding: "bridge", state: "down"}},
			[]network{{"default", "pod"}, {"sec", "multus"}}))); err != nil {
			t.Fatalf("create: %v", err)
		}
		if w := warnings.Take(); len(w) != 0 {
			t.Errorf("canonical spelling warned: %q", w)
		}
		stored := get(t, vmGVK, ns, "up1")
		if diff := cmp.Diff(map[string]string{"default": "up", "sec": "down"}, states(t, stored)); diff != "" {
			t.Errorf("stored states (-want +got):\n%s", diff)
		}
		running := markRunning(t, stored)
		setStates(t, running, map[string]string{"sec": "up"})
		if err := c.Update(ctx, running); err != nil {
			t.Fatalf("running VM, sec -> up: %v", err)
		}
		if got := states(t, get(t, vmGVK, ns, "up1"))["sec"]; got != "up" {
			t.Errorf("stored %q, want up", got)
		}
	})

	t.Run("seed spelling is an alias", func(t *testing.T) {
		warnings.Take()
		if err := c.Create(ctx, object(t, ns, vm("up2",
			[]iface{{name: "sec", binding: "bridge", state: "linkDown"}}, []network{{"sec", "multus"}}))); err != nil {
			t.Fatalf("create: %v", err)
		}
		want := []string{`spec.template.spec.domain.devices.interfaces[0].state: "linkDown" is the seed dialect's spelling; stored as "down", the spelling this cluster uses`}
		if diff := cmp.Diff(want, warnings.Take()); diff != "" {
			t.Errorf("warnings (-want +got):\n%s", diff)
		}
		if got := states(t, get(t, vmGVK, ns, "up2"))["sec"]; got != "down" {
			t.Errorf("stored %q, want down", got)
		}
	})

	t.Run("hot-plug down, then up", func(t *testing.T) {
		if err := c.Create(ctx, object(t, ns, vm("up3", []iface{{name: "default", binding: "masquerade"}}, []network{{"default", "pod"}}))); err != nil {
			t.Fatalf("create: %v", err)
		}
		running := markRunning(t, get(t, vmGVK, ns, "up3"))
		plugged := object(t, ns, vm("up3",
			[]iface{{name: "default", binding: "masquerade", state: "up"}, {name: "hot", binding: "bridge", state: "down"}},
			[]network{{"default", "pod"}, {"hot", "multus"}}))
		plugged.SetResourceVersion(running.GetResourceVersion())
		if err := c.Update(ctx, plugged); err != nil {
			t.Fatalf("hot-plug: %v", err)
		}
		stored := get(t, vmGVK, ns, "up3")
		setStates(t, stored, map[string]string{"hot": "up"})
		if err := c.Update(ctx, stored); err != nil {
			t.Fatalf("hot-plugged -> up: %v", err)
		}
		if got := states(t, get(t, vmGVK, ns, "up3"))["hot"]; got != "up" {
			t.Errorf("stored %q, want up", got)
		}
	})

	t.Run("rejections speak the upstream dialect", func(t *testing.T) {
		invalid(t, c.Create(ctx, object(t, ns, vm("up4", []iface{{name: "sec", binding: "bridge", state: "off"}}, []network{{"sec", "multus"}}))),
			map[string]string{"spec.template.spec.domain.devices.interfaces[0].state": `supported values: "up", "down", "absent", "linkUp", "linkDown"`})
		invalid(t, c.Create(ctx, object(t, ns, vm("up5", []iface{{name: "default", binding: "bridge", state: "absent"}}, []network{{"default", "pod"}}))),
			map[string]string{"spec.template.spec.domain.devices.interfaces[0].state": "set state to down to take its link down instead"})
	})
}
