package cel

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// object renders a VMI spec as a VirtualMachine (in its template) or a
// VirtualMachineInstance, with a few fields the rules never read, which must survive.
func object(t *testing.T, k linkstate.Kind, namespace, name string, spec *v1.VirtualMachineInstanceSpec) *unstructured.Unstructured {
	t.Helper()
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	domain := s["domain"].(map[string]any)
	domain["resources"] = map[string]any{"requests": map[string]any{"memory": "64Mi"}}
	domain["cpu"] = map[string]any{"cores": int64(2)}
	obj := map[string]any{
		"apiVersion": "kubevirt.io/v1",
		"kind":       k.GroupKind.Kind,
		"metadata": map[string]any{
			"name": name, "namespace": namespace,
			"labels":      map[string]any{"app": "equivalence"},
			"annotations": map[string]any{"example.com/note": "kept"},
		},
	}
	if k.GroupKind == linkstate.VirtualMachine.GroupKind {
		obj["spec"] = map[string]any{
			"runStrategy": "Halted",
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"kubevirt.io/vm": name}},
				"spec":     s,
			},
		}
	} else {
		obj["spec"] = s
	}
	return &unstructured.Unstructured{Object: obj}
}

// vmiSpecOf is where the VMI spec sits in an object.
func vmiSpecOf(u *unstructured.Unstructured) []string {
	if u.GetKind() == "VirtualMachine" {
		return []string{"spec", "template", "spec"}
	}
	return []string{"spec"}
}

// statesOf lists the interface states of an object by interface name.
func statesOf(t *testing.T, u *unstructured.Unstructured) map[string]string {
	t.Helper()
	list, _, err := unstructured.NestedSlice(u.Object, append(vmiSpecOf(u), "domain", "devices", "interfaces")...)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, i := range list {
		m := i.(map[string]any)
		s, _ := m["state"].(string)
		out[m["name"].(string)] = s
	}
	return out
}

// iface is one interface of a probe: binding bridge, masquerade or sriov; net pod or
// (empty) a secondary Multus network.
type iface struct {
	name, binding, state, net string
}

func specOf(ifaces ...iface) *v1.VirtualMachineInstanceSpec {
	var list []v1.Interface
	var nets []v1.Network
	for _, i := range ifaces {
		state := v1.InterfaceState(i.state)
		switch i.binding {
		case "masquerade":
			list = append(list, fixture.Masquerade(i.name, state))
		case "sriov":
			list = append(list, fixture.SRIOV(i.name, state))
		default:
			list = append(list, fixture.Bridge(i.name, state))
		}
		if i.net == "pod" {
			nets = append(nets, fixture.Pod(i.name))
		} else {
			nets = append(nets, fixture.Multus(i.name))
		}
	}
	return fixture.Spec(list, nets...)
}
