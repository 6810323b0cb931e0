package kubectl

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

var (
	vmGVK  = schema.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachine"}
	vmiGVK = schema.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachineInstance"}
)

// iface is one interface of a test VM: its binding is bridge, masquerade, sriov or
// plugin:NAME; its network has the interface's name and is the pod network when pod is set,
// else a Multus network.
type iface struct {
	name, binding, state string
	pod                  bool
}

// spec renders a VMI spec with these interfaces, indented for a VM's template or a VMI.
func spec(indent string, ifaces []iface) string {
	var b strings.Builder
	line := func(format string, args ...any) { b.WriteString(indent + fmt.Sprintf(format, args...) + "\n") }
	line("domain:")
	line("  devices:")
	line("    interfaces:")
	for _, i := range ifaces {
		line("    - name: %s", i.name)
		if name, ok := strings.CutPrefix(i.binding, "plugin:"); ok {
			line("      binding: {name: %s}", name)
		} else {
			line("      %s: {}", i.binding)
		}
		if i.state != "" {
			line("      state: %q", i.state)
		}
	}
	line("  resources:")
	line("    requests: {memory: 64Mi}")
	line("networks:")
	for _, i := range ifaces {
		line("- name: %s", i.name)
		if i.pod {
			line("  pod: {}")
		} else {
			line("  multus: {networkName: %s-nad}", i.name)
		}
	}
	return b.String()
}

func parse(t *testing.T, ns, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatalf("bad test manifest: %v\n%s", err, manifest)
	}
	u.SetNamespace(ns)
	return u
}

// createVM creates a stopped VM (the webhook defaults and respells its states).
func createVM(t *testing.T, ns, name string, ifaces ...iface) {
	t.Helper()
	vm := parse(t, ns, "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: "+name+
		"\nspec:\n  runStrategy: Always\n  template:\n    spec:\n"+spec("      ", ifaces))
	if err := c.Create(context.Background(), vm); err != nil {
		t.Fatalf("creating VM %s: %v", name, err)
	}
}

// createVMI creates a VMI on node-1 that reports every interface with the link state its
// spec asks for, as virt-handler does once the domain runs. A VM's VMI carries the VM as its
// controller, as virt-controller sets it.
func createVMI(t *testing.T, ns, name string, owner *unstructured.Unstructured, ifaces ...iface) {
	t.Helper()
	vmi := parse(t, ns, "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: "+name+
		"\nspec:\n"+spec("  ", ifaces))
	if owner != nil {
		vmi.SetOwnerReferences([]metav1.OwnerReference{controllerRef(owner)})
	}
	ctx := context.Background()
	if err := c.Create(ctx, vmi); err != nil {
		t.Fatalf("creating VMI %s: %v", name, err)
	}
	stored := get(t, vmiGVK, ns, name)
	if err := unstructured.SetNestedField(stored.Object, "node-1", "status", "nodeName"); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(stored.Object, "Running", "status", "phase"); err != nil {
		t.Fatal(err)
	}
	setReported(t, stored, reportedFromSpec(t, stored))
	if err := c.Update(ctx, stored); err != nil {
		t.Fatalf("setting VMI %s's status: %v", name, err)
	}
}

// startVM makes a created VM running: its VMI exists and reports, and its status says so.
func startVM(t *testing.T, ns, name string) {
	t.Helper()
	vm := get(t, vmGVK, ns, name)
	status := map[string]any{"created": true, "ready": true, "printableStatus": "Running"}
	if err := unstructured.SetNestedMap(vm.Object, status, "status"); err != nil {
		t.Fatal(err)
	}
	if err := c.Status().Update(context.Background(), vm); err != nil {
		t.Fatalf("setting VM %s running: %v", name, err)
	}
	vmi := parse(t, ns, "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: "+name+"\nspec: {}")
	template, _, _ := unstructured.NestedMap(vm.Object, "spec", "template", "spec")
	if err := unstructured.SetNestedMap(vmi.Object, template, "spec"); err != nil {
		t.Fatal(err)
	}
	vmi.SetOwnerReferences([]metav1.OwnerReference{controllerRef(vm)})
	ctx := context.Background()
	if err := c.Create(ctx, vmi); err != nil {
		t.Fatalf("creating VM %s's VMI: %v", name, err)
	}
	stored := get(t, vmiGVK, ns, name)
	_ = unstructured.SetNestedField(stored.Object, "node-1", "status", "nodeName")
	_ = unstructured.SetNestedField(stored.Object, "Running", "status", "phase")
	setReported(t, stored, reportedFromSpec(t, stored))
	if err := c.Update(ctx, stored); err != nil {
		t.Fatalf("setting VMI %s's status: %v", name, err)
	}
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

// states lists the stored interface states, in order: name=state.
func states(t *testing.T, u *unstructured.Unstructured) []string {
	t.Helper()
	list, _, err := unstructured.NestedSlice(u.Object, interfacesPath(u)...)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range list {
		m := i.(map[string]any)
		s, _ := m["state"].(string)
		out = append(out, m["name"].(string)+"="+s)
	}
	return out
}

// reported lists a VMI's status.interfaces: name=linkState.
func reported(t *testing.T, u *unstructured.Unstructured) []string {
	t.Helper()
	list, _, err := unstructured.NestedSlice(u.Object, "status", "interfaces")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range list {
		m := i.(map[string]any)
		s, _ := m["linkState"].(string)
		out = append(out, m["name"].(string)+"="+s)
	}
	return out
}

func containsAny(s string, fragments ...string) bool {
	for _, f := range fragments {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

var clientDryRun = client.CreateOptions{DryRun: []string{metav1.DryRunAll}}

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
