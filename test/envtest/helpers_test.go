package envtest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var (
	vmGVK  = schema.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachine"}
	vmiGVK = schema.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachineInstance"}
)

// iface is one interface line of a test VM: `name binding [state] [model]`.
type iface struct {
	name, binding, state, model string
}

// network is one network of a test VM: pod, multus, or multus-default.
type network struct {
	name, kind string
}

// vm renders a VirtualMachine manifest.
func vm(name string, ifaces []iface, nets []network) string {
	return "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: " + name +
		"\nspec:\n  runStrategy: Always\n  template:\n    spec:\n" + vmiSpec("      ", ifaces, nets)
}

// vmi renders a VirtualMachineInstance manifest.
func vmi(name string, ifaces []iface, nets []network) string {
	return "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: " + name +
		"\nspec:\n" + vmiSpec("  ", ifaces, nets)
}

func vmiSpec(indent string, ifaces []iface, nets []network) string {
	var b strings.Builder
	line := func(format string, args ...any) { b.WriteString(indent + fmt.Sprintf(format, args...) + "\n") }
	line("domain:")
	line("  devices:")
	line("    interfaces:")
	for _, i := range ifaces {
		line("    - name: %s", i.name)
		switch {
		case strings.HasPrefix(i.binding, "plugin:"):
			line("      binding: {name: %s}", strings.TrimPrefix(i.binding, "plugin:"))
		default:
			line("      %s: {}", i.binding)
		}
		if i.state != "" {
			line("      state: %q", i.state)
		}
		if i.model != "" {
			line("      model: %s", i.model)
		}
	}
	line("  resources:")
	line("    requests: {memory: 64Mi}")
	line("networks:")
	for _, n := range nets {
		line("- name: %s", n.name)
		switch n.kind {
		case "pod":
			line("  pod: {}")
		case "multus":
			line("  multus: {networkName: %s-nad}", n.name)
		case "multus-default":
			line("  multus: {networkName: %s-nad, default: true}", n.name)
		}
	}
	return b.String()
}

// get reads an object back from the API server.
func get(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("get %s %s/%s: %v", gvk.Kind, ns, name, err)
	}
	return u
}

// interfacesPath is where the interface list sits: under spec.template for a VM.
func interfacesPath(u *unstructured.Unstructured) []string {
	path := []string{"spec", "domain", "devices", "interfaces"}
	if u.GetKind() == "VirtualMachine" {
		path = append([]string{"spec", "template"}, path...)
	}
	return path
}

// interfaceList is the object's interface list, as unstructured maps.
func interfaceList(t *testing.T, u *unstructured.Unstructured) []any {
	t.Helper()
	list, _, err := unstructured.NestedSlice(u.Object, interfacesPath(u)...)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// states lists the stored interface states of a VM (template) or VMI, by interface name.
func states(t *testing.T, u *unstructured.Unstructured) map[string]string {
	t.Helper()
	list := interfaceList(t, u)
	out := map[string]string{}
	for _, i := range list {
		m := i.(map[string]any)
		s, _ := m["state"].(string)
		out[m["name"].(string)] = s
	}
	return out
}

// setStates changes interface states of a VM's template (or a VMI's spec) in place.
func setStates(t *testing.T, u *unstructured.Unstructured, states map[string]string) {
	t.Helper()
	list := interfaceList(t, u)
	for _, i := range list {
		m := i.(map[string]any)
		if s, ok := states[m["name"].(string)]; ok {
			m["state"] = s
		}
	}
	if err := unstructured.SetNestedSlice(u.Object, list, interfacesPath(u)...); err != nil {
		t.Fatal(err)
	}
}

// markRunning writes a running VM's status through the status subresource, as
// virt-controller does once the VMI exists.
func markRunning(t *testing.T, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	status := map[string]any{"created": true, "ready": true, "printableStatus": "Running"}
	if err := unstructured.SetNestedMap(u.Object, status, "status"); err != nil {
		t.Fatal(err)
	}
	if err := c.Status().Update(context.Background(), u); err != nil {
		t.Fatalf("setting running status: %v", err)
	}
	return get(t, vmGVK, u.GetNamespace(), u.GetName())
}

// invalid asserts err is the webhook's Invalid denial with exactly these causes
// (field -> a fragment of the message) and returns the message kubectl prints.
func invalid(t *testing.T, err error, causes map[string]string) string {
	t.Helper()
	if err == nil {
		t.Fatalf("want a denial, got success")
	}
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Reason != "Invalid" || status.Status().Code != 422 {
		t.Fatalf("want a 422 Invalid, got %T: %v", err, err)
	}
	s := status.Status()
	if s.Details == nil || len(s.Details.Causes) != len(causes) {
		t.Fatalf("want %d causes, got %+v\nmessage: %s", len(causes), s.Details, s.Message)
	}
	for _, cause := range s.Details.Causes {
		want, ok := causes[cause.Field]
		if !ok || !strings.Contains(cause.Message, want) {
			t.Errorf("cause %s: %q; want a cause on one of %v containing %q", cause.Field, cause.Message, keys(causes), want)
		}
	}
	return err.Error()
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// equalJSON compares two decoded JSON values by their JSON form, so 42 and 42.0 agree.
func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	norm := func(v any) any {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
