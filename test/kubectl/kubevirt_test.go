package kubectl

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// What KubeVirt's controllers would do, played by the test: no KubeVirt runs in envtest.

// controllerRef is the owner reference virt-controller puts on a VM's VMI.
func controllerRef(owner *unstructured.Unstructured) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: "kubevirt.io/v1", Kind: owner.GetKind(), Name: owner.GetName(), UID: owner.GetUID(),
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}
}

// reportedFromSpec is the status.interfaces virt-handler would write for a VMI whose domain
// has every interface as its spec asks: the link state of each plugged interface in
// KubeVirt's own spelling (up/down, whatever the dialect), none for SR-IOV (a passed-through
// VF has no virtual link), and nothing at all for an unplugged interface.
func reportedFromSpec(t *testing.T, vmi *unstructured.Unstructured) []any {
	t.Helper()
	list, _, err := unstructured.NestedSlice(vmi.Object, "spec", "domain", "devices", "interfaces")
	if err != nil {
		t.Error(err)
		return nil
	}
	out := []any{}
	for n, i := range list {
		m := i.(map[string]any)
		entry := map[string]any{"name": m["name"], "infoSource": "domain", "mac": fmt.Sprintf("02:a4:13:00:00:%02x", n+1)}
		switch m["state"] {
		case "absent":
			continue
		case "down", "linkDown":
			entry["linkState"] = "down"
		default:
			entry["linkState"] = "up"
		}
		if _, sriov := m["sriov"]; sriov {
			delete(entry, "linkState")
		}
		out = append(out, entry)
	}
	return out
}

func setReported(t *testing.T, vmi *unstructured.Unstructured, interfaces []any) {
	t.Helper()
	if err := unstructured.SetNestedSlice(vmi.Object, interfaces, "status", "interfaces"); err != nil {
		t.Fatal(err)
	}
}

// playKubeVirt runs virt-controller's and virt-handler's part for one VMI until the test
// ends: when the VM's interface states differ from its VMI's (vm set), they are copied into
// the VMI; when the VMI's spec differs from what its status reports, the status is updated
// after delay, as virt-handler reports a link once the domain has it.
func playKubeVirt(t *testing.T, ns, name string, vm bool, delay time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		key := client.ObjectKey{Namespace: ns, Name: name}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			vmi := &unstructured.Unstructured{}
			vmi.SetGroupVersionKind(vmiGVK)
			if err := c.Get(ctx, key, vmi); err != nil {
				continue
			}
			if vm && copyStates(ctx, key, vmi) {
				continue // updated the VMI; report on the next round, from what was stored
			}
			want := reportedFromSpec(t, vmi)
			have, _, _ := unstructured.NestedSlice(vmi.Object, "status", "interfaces")
			if reflect.DeepEqual(want, have) || (len(want) == 0 && len(have) == 0) {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			setReported(t, vmi, want)
			_ = c.Update(ctx, vmi) // a conflict is retried on the next round
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// copyStates copies the VM's interface states into its VMI, by interface name, as
// KubeVirt's VM controller does for a running VM. It reports whether it updated the VMI.
func copyStates(ctx context.Context, key client.ObjectKey, vmi *unstructured.Unstructured) bool {
	vm := &unstructured.Unstructured{}
	vm.SetGroupVersionKind(vmGVK)
	if err := c.Get(ctx, key, vm); err != nil {
		return false
	}
	desired := map[string]any{}
	vmIfaces, _, _ := unstructured.NestedSlice(vm.Object, "spec", "template", "spec", "domain", "devices", "interfaces")
	for _, i := range vmIfaces {
		m := i.(map[string]any)
		desired[m["name"].(string)] = m["state"]
	}
	ifaces, _, _ := unstructured.NestedSlice(vmi.Object, "spec", "domain", "devices", "interfaces")
	changed := false
	for _, i := range ifaces {
		m := i.(map[string]any)
		if s, ok := desired[m["name"].(string)]; ok && s != nil && m["state"] != s {
			m["state"], changed = s, true
		}
	}
	if !changed {
		return false
	}
	_ = unstructured.SetNestedSlice(vmi.Object, ifaces, "spec", "domain", "devices", "interfaces")
	return c.Update(ctx, vmi) == nil
}
