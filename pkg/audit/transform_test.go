package audit

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// withInterfaces adds interfaces (and a Multus network for each) to a workload VM's
// template, or to a VMI's spec.
func withInterfaces(spec map[string]any, ifaces ...map[string]any) {
	devices := spec["domain"].(map[string]any)["devices"].(map[string]any)
	for _, iface := range ifaces {
		devices["interfaces"] = append(devices["interfaces"].([]any), iface)
		spec["networks"] = append(spec["networks"].([]any), map[string]any{"name": iface["name"], "multus": map[string]any{"networkName": "nad"}})
	}
}

// realisticVMs are stored-looking VMs (managed fields, annotations, disks, cloud-init),
// clean and violating, as JSON.
func realisticVMs(t *testing.T) map[string][]byte {
	t.Helper()
	clean := workload.Running(workload.VM("clean", "tenant", 6, true))
	violating := workload.Running(workload.VM("violating", "tenant", 4, true))
	template := violating["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	withInterfaces(template,
		map[string]any{"name": "vf", "sriov": map[string]any{}, "state": "linkDown"},
		map[string]any{"name": "odd", "bridge": map[string]any{}, "state": "sideways"},
		map[string]any{"name": "e1k", "bridge": map[string]any{}, "model": "e1000", "state": "absent"},
		map[string]any{"name": "plug", "binding": map[string]any{"name": "vendor-tap"}, "state": "linkDown"})
	// The pod network's interface down: a warning (P1).
	template["domain"].(map[string]any)["devices"].(map[string]any)["interfaces"].([]any)[0].(map[string]any)["state"] = "linkDown"
	out := map[string][]byte{}
	for name, vm := range map[string]map[string]any{"clean": clean, "violating": violating} {
		raw, err := json.Marshal(vm)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = raw
	}
	return out
}

func decodeVM(t *testing.T, raw []byte) *v1.VirtualMachine {
	t.Helper()
	vm := &v1.VirtualMachine{}
	if err := json.Unmarshal(raw, vm); err != nil {
		t.Fatal(err)
	}
	return vm
}

// What the scanner judges of a stripped VM is what admission judges of the stored JSON
// on CREATE, message for message: the cache keeps everything the rules read.
func TestStrippedVMJudgedAsAdmissionJudges(t *testing.T) {
	rules := linkstate.Static(linkstate.DefaultConfig())
	reviewer := &validate.Reviewer{Kind: linkstate.VirtualMachine, Rules: rules}
	for name, raw := range realisticVMs(t) {
		t.Run(name, func(t *testing.T) {
			verdict := reviewer.Review(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				UID: "1", Operation: admissionv1.Create, Namespace: "tenant",
				Kind:   metav1.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachine"},
				Object: runtime.RawExtension{Raw: raw},
			}})
			want := Sorted(FromFindings(BuiltinPolicy, verdict.Findings))
			stripped, err := StripVM(decodeVM(t, raw))
			if err != nil {
				t.Fatal(err)
			}
			got, err := NewBuiltin(rules).Judge(context.Background(), SubjectOfVM(stripped.(*v1.VirtualMachine)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, Sorted(got)); diff != "" {
				t.Errorf("(-admission +audit):\n%s", diff)
			}
			if name == "violating" && len(want) < 5 {
				t.Errorf("the violating VM gave only %d findings: %v", len(want), want)
			}
		})
	}
}

func TestStripVMKeepsOnlyWhatIsRead(t *testing.T) {
	full := decodeVM(t, realisticVMs(t)["violating"])
	full.DeletionTimestamp = &metav1.Time{}
	out, err := StripVM(full.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	vm := out.(*v1.VirtualMachine)
	want := &v1.VirtualMachine{
		TypeMeta: full.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Name: full.Name, Namespace: full.Namespace, UID: full.UID,
			ResourceVersion: full.ResourceVersion, Labels: full.Labels, DeletionTimestamp: full.DeletionTimestamp},
		Spec: v1.VirtualMachineSpec{Template: &v1.VirtualMachineInstanceTemplateSpec{Spec: v1.VirtualMachineInstanceSpec{
			Domain:   v1.DomainSpec{Devices: v1.Devices{Interfaces: full.Spec.Template.Spec.Domain.Devices.Interfaces}},
			Networks: full.Spec.Template.Spec.Networks,
		}}},
		Status: v1.VirtualMachineStatus{Created: true, Ready: true, PrintableStatus: v1.VirtualMachineStatusRunning},
	}
	if diff := cmp.Diff(want, vm); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(full.ManagedFields) == 0 || len(full.Annotations) == 0 || len(full.Spec.Template.Spec.Volumes) == 0 {
		t.Fatal("the fixture lost what the transform is meant to drop")
	}
}

func TestStripVMI(t *testing.T) {
	vmi := &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "tenant", UID: "u", ResourceVersion: "7", Labels: map[string]string{"a": "b"},
			Annotations: map[string]string{"big": "x"}, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}},
		Spec: v1.VirtualMachineInstanceSpec{
			Domain:   v1.DomainSpec{Devices: v1.Devices{Interfaces: []v1.Interface{{Name: "default", State: "linkDown"}}, Disks: []v1.Disk{{Name: "root"}}}},
			Networks: []v1.Network{{Name: "default", NetworkSource: v1.NetworkSource{Pod: &v1.PodNetwork{}}}},
			Hostname: "db",
		},
		Status: v1.VirtualMachineInstanceStatus{NodeName: "n1", Interfaces: []v1.VirtualMachineInstanceNetworkInterface{{Name: "default"}}},
	}
	out, err := StripVMI(vmi)
	if err != nil {
		t.Fatal(err)
	}
	want := &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "tenant", UID: "u", ResourceVersion: "7", Labels: map[string]string{"a": "b"}},
		Spec: v1.VirtualMachineInstanceSpec{
			Domain:   v1.DomainSpec{Devices: v1.Devices{Interfaces: vmi.Spec.Domain.Devices.Interfaces}},
			Networks: vmi.Spec.Networks,
		},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	s := SubjectOfVMI(out.(*v1.VirtualMachineInstance))
	if s.Kind.GroupKind != linkstate.VirtualMachineInstance.GroupKind || s.UID != "u" || s.Labels["a"] != "b" || len(s.Spec.Domain.Devices.Interfaces) != 1 {
		t.Errorf("subject %+v", s)
	}
}

// Tombstones and other kinds pass through the transforms untouched.
func TestStripPassesOthersThrough(t *testing.T) {
	for _, strip := range []func(any) (any, error){StripVM, StripVMI} {
		in := "not an object"
		if out, err := strip(in); err != nil || out != in {
			t.Errorf("got %v, %v", out, err)
		}
	}
}

// A VM being deleted is not judged: its Report goes with it.
func TestBuiltinSkipsDeleting(t *testing.T) {
	vm := decodeVM(t, realisticVMs(t)["violating"])
	vm.DeletionTimestamp = &metav1.Time{}
	got, err := NewBuiltin(linkstate.Static(linkstate.DefaultConfig())).Judge(context.Background(), SubjectOfVM(vm))
	if err != nil || len(got) != 0 {
		t.Errorf("got %v, %v", got, err)
	}
}
