package envtest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The link-state feature's end-to-end scenarios, at API level: what the API server stores.

// A VM started with an interface down, then changed to up.
func TestStoryVMCreatedDownThenUp(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	obj := object(t, ns, vm("story1",
		[]iface{{name: "default", binding: "masquerade"}, {name: "sec", binding: "bridge", state: "linkDown"}},
		[]network{{"default", "pod"}, {"sec", "multus"}}))
	if err := c.Create(ctx, obj); err != nil {
		t.Fatalf("create: %v", err)
	}
	stored := get(t, vmGVK, ns, "story1")
	if diff := cmp.Diff(map[string]string{"default": "linkUp", "sec": "linkDown"}, states(t, stored)); diff != "" {
		t.Errorf("stored states after create (-want +got):\n%s", diff)
	}
	setStates(t, stored, map[string]string{"sec": "linkUp"})
	if err := c.Update(ctx, stored); err != nil {
		t.Fatalf("update to linkUp: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"default": "linkUp", "sec": "linkUp"}, states(t, get(t, vmGVK, ns, "story1"))); diff != "" {
		t.Errorf("stored states after update (-want +got):\n%s", diff)
	}
}

// Setting the link of a running VM down, then up.
func TestStoryRunningVMDownThenUp(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vm("story2",
		[]iface{{name: "default", binding: "masquerade"}, {name: "sec", binding: "bridge"}},
		[]network{{"default", "pod"}, {"sec", "multus"}}))); err != nil {
		t.Fatalf("create: %v", err)
	}
	running := markRunning(t, get(t, vmGVK, ns, "story2"))
	for _, state := range []string{"linkDown", "linkUp"} {
		setStates(t, running, map[string]string{"sec": state})
		if err := c.Update(ctx, running); err != nil {
			t.Fatalf("running VM, sec -> %s: %v", state, err)
		}
		running = get(t, vmGVK, ns, "story2")
		if got := states(t, running)["sec"]; got != state {
			t.Errorf("running VM: stored sec state %q, want %q", got, state)
		}
		if w := warnings.Take(); len(w) != 0 {
			t.Errorf("running VM, sec -> %s on a secondary network: unexpected warnings %q", state, w)
		}
	}
}

// Hot-plugging an interface on a secondary network with its link down, then up.
func TestStoryHotplugDownThenUp(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vm("story3",
		[]iface{{name: "default", binding: "masquerade"}}, []network{{"default", "pod"}}))); err != nil {
		t.Fatalf("create: %v", err)
	}
	running := markRunning(t, get(t, vmGVK, ns, "story3"))
	plugged := object(t, ns, vm("story3",
		[]iface{{name: "default", binding: "masquerade", state: "linkUp"}, {name: "hot", binding: "bridge", state: "linkDown"}},
		[]network{{"default", "pod"}, {"hot", "multus"}}))
	plugged.SetResourceVersion(running.GetResourceVersion())
	if err := c.Update(ctx, plugged); err != nil {
		t.Fatalf("hot-plug with linkDown: %v", err)
	}
	if w := warnings.Take(); len(w) != 0 {
		t.Errorf("hot-plugging a bridge interface: unexpected warnings %q", w)
	}
	stored := get(t, vmGVK, ns, "story3")
	if diff := cmp.Diff(map[string]string{"default": "linkUp", "hot": "linkDown"}, states(t, stored)); diff != "" {
		t.Errorf("after hot-plug (-want +got):\n%s", diff)
	}
	setStates(t, stored, map[string]string{"hot": "linkUp"})
	if err := c.Update(ctx, stored); err != nil {
		t.Fatalf("hot-plugged interface -> linkUp: %v", err)
	}
	if got := states(t, get(t, vmGVK, ns, "story3"))["hot"]; got != "linkUp" {
		t.Errorf("hot-plugged interface stored as %q, want linkUp", got)
	}
}

// An empty state is stored as linkUp on bindings that apply it, and left empty on SR-IOV.
func TestStoryEmptyStateIsStoredAsLinkUp(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vm("story4",
		[]iface{{name: "default", binding: "masquerade"}, {name: "br", binding: "bridge"}, {name: "vf", binding: "sriov"}},
		[]network{{"default", "pod"}, {"br", "multus"}, {"vf", "multus"}}))); err != nil {
		t.Fatalf("create: %v", err)
	}
	want := map[string]string{"default": "linkUp", "br": "linkUp", "vf": ""}
	if diff := cmp.Diff(want, states(t, get(t, vmGVK, ns, "story4"))); diff != "" {
		t.Errorf("VM stored states (-want +got):\n%s", diff)
	}
	// A VMI is defaulted on create too.
	if err := c.Create(ctx, object(t, ns, vmi("story4-vmi",
		[]iface{{name: "default", binding: "masquerade"}}, []network{{"default", "pod"}}))); err != nil {
		t.Fatalf("create VMI: %v", err)
	}
	if got := states(t, get(t, vmiGVK, ns, "story4-vmi"))["default"]; got != "linkUp" {
		t.Errorf("VMI stored state %q, want linkUp", got)
	}
}
