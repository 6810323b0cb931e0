package envtest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Seed story: start a VM with an interface down, then bring it up.
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
