package audit

import (
	"context"
	"encoding/json"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
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
			got, err := NewBuiltin(rules).Judge(context.Background(), stripped.(*Stored).Subject())
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
	full.UID = "uid-7"
	full.DeletionTimestamp = &metav1.Time{}
	out, err := StripVM(full.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	stored := out.(*Stored)
	if stored.VMI || stored.Namespace != "tenant" || stored.Name != "violating" || stored.UID != "uid-7" || !stored.Deleting || !stored.Running {
		t.Errorf("stored %+v", stored)
	}
	if diff := cmp.Diff(full.Labels, stored.LabelMap()); diff != "" {
		t.Errorf("labels (-object +stored):\n%s", diff)
	}
	ifaces, networks := stored.Kept()
	wantIfaces := []Interface{
		{Name: "default", State: "linkDown", Bindings: masqueradeBit},
		{Name: "net-1", State: "linkUp", Bindings: bridgeBit},
		{Name: "net-2", State: "linkUp", Bindings: bridgeBit},
		{Name: "net-3", State: "linkUp", Bindings: bridgeBit},
		{Name: "vf", State: "linkDown", Bindings: sriovBit},
		{Name: "odd", State: "sideways", Bindings: bridgeBit},
		{Name: "e1k", State: "absent", Model: "e1000", Bindings: bridgeBit},
		{Name: "plug", State: "linkDown", Bindings: pluginBit, Plugin: "vendor-tap"},
	}
	wantNetworks := []Network{
		{Name: "default", Pod: true},
		{Name: "net-1", Multus: true, NetworkName: "tenant-net-1"},
		{Name: "net-2", Multus: true, NetworkName: "tenant-net-2"},
		{Name: "net-3", Multus: true, NetworkName: "tenant-net-3"},
		{Name: "vf", Multus: true, NetworkName: "nad"},
		{Name: "odd", Multus: true, NetworkName: "nad"},
		{Name: "e1k", Multus: true, NetworkName: "nad"},
		{Name: "plug", Multus: true, NetworkName: "nad"},
	}
	if diff := cmp.Diff(wantIfaces, ifaces); diff != "" {
		t.Errorf("interfaces (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantNetworks, networks); diff != "" {
		t.Errorf("networks (-want +got):\n%s", diff)
	}
	if len(full.ManagedFields) == 0 || len(full.Annotations) == 0 || len(full.Spec.Template.Spec.Volumes) == 0 {
		t.Fatal("the fixture lost what the transform is meant to drop")
	}
	// The informers key and index it by namespace and name.
	key, err := toolscache.MetaNamespaceKeyFunc(stored)
	if err != nil || key != "tenant/violating" {
		t.Errorf("key %q, %v", key, err)
	}
	if ns, err := toolscache.MetaNamespaceIndexFunc(stored); err != nil || len(ns) != 1 || ns[0] != "tenant" {
		t.Errorf("namespace index %v, %v", ns, err)
	}
}

// Every interface and network the rules can meet comes back from a Stored as the rules
// read it: the same binding (broken ones included), model, state, default-network-ness.
func TestStoredSpecKeepsWhatRulesRead(t *testing.T) {
	ifaces := Ifaces(Bridge("a", "linkUp"), NoBinding("b", ""), Masquerade("c", "down"), SRIOV("d", "linkDown"),
		PasstBinding("e", "up"), Slirp("f", ""), Macvtap("g", ""), LegacyPasst("h", "absent"), Plugin("i", "vendor", "linkDown"),
		Plugin("j", "", "linkUp"), BridgeAndMasquerade("k", "linkUp"), WithModel(Bridge("l", "absent"), "e1000"), WithModel(Bridge("m", ""), "virtio"))
	spec := Spec(ifaces, Pod("a"), Multus("b"), MultusDefault("c"), v1.Network{Name: "nothing"})
	vmi := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "y"}, Spec: *spec}
	out, _ := StripVMI(vmi)
	rebuilt := out.(*Stored).Spec()
	if len(rebuilt.Domain.Devices.Interfaces) != len(ifaces) || len(rebuilt.Networks) != len(spec.Networks) {
		t.Fatalf("rebuilt %d interfaces and %d networks", len(rebuilt.Domain.Devices.Interfaces), len(rebuilt.Networks))
	}
	for i := range ifaces {
		a, b := &ifaces[i], &rebuilt.Domain.Devices.Interfaces[i]
		if linkstate.ClassifyBinding(a) != linkstate.ClassifyBinding(b) || a.Name != b.Name || a.State != b.State ||
			a.Model != b.Model || linkstate.IsVirtioModel(a) != linkstate.IsVirtioModel(b) {
			t.Errorf("interface %s: %+v came back as %+v", a.Name, a, b)
		}
	}
	for i := range spec.Networks {
		a, b := &spec.Networks[i], &rebuilt.Networks[i]
		if diff := cmp.Diff(*a, *b); diff != "" {
			t.Errorf("network %s (-kept +rebuilt):\n%s", a.Name, diff)
		}
	}
	// And the verdicts: every rule says of the rebuilt spec what it says of the original.
	for _, cfg := range []linkstate.Config{linkstate.DefaultConfig(), {Dialect: linkstate.Upstream, PasstBinding: linkstate.ActionWarn, UnknownPlugins: linkstate.ActionDeny}} {
		obj := func(s v1.VirtualMachineInstanceSpec) *linkstate.Object {
			return &linkstate.Object{Kind: linkstate.VirtualMachineInstance, Name: "x", Spec: s}
		}
		original, kept := validate.Object(obj(*spec), nil, cfg), validate.Object(obj(rebuilt), nil, cfg)
		if len(original) < 4 {
			t.Fatalf("the fixture finds only %v", original)
		}
		if diff := cmp.Diff(original, kept); diff != "" {
			t.Errorf("%+v: findings (-original +rebuilt):\n%s", cfg, diff)
		}
	}
}

// What every VM of a template repeats is kept once.
func TestStripInterns(t *testing.T) {
	a, _ := StripVM(decodeVM(t, realisticVMs(t)["clean"]))
	b, _ := StripVM(decodeVM(t, realisticVMs(t)["clean"]))
	c, _ := StripVM(decodeVM(t, realisticVMs(t)["violating"]))
	sa, sb, sc := a.(*Stored), b.(*Stored), c.(*Stored)
	if sa.spec != sb.spec || sa.labels != sb.labels || unsafe.StringData(sa.Namespace) != unsafe.StringData(sb.Namespace) {
		t.Error("two decodings of the same VM keep separate copies of what they share")
	}
	if sa.spec == sc.spec {
		t.Error("two different VMs share one spec")
	}
	if *sa != *sb {
		t.Error("two decodings of the same VM are stored differently")
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
	stored := out.(*Stored)
	ifaces, networks := stored.Kept()
	if !stored.VMI || stored.Name != "db" || stored.Namespace != "tenant" || stored.UID != "u" || stored.Running || stored.Deleting {
		t.Errorf("stored %+v", stored)
	}
	if diff := cmp.Diff([]Interface{{Name: "default", State: "linkDown"}}, ifaces); diff != "" {
		t.Errorf("interfaces (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Network{{Name: "default", Pod: true}}, networks); diff != "" {
		t.Errorf("networks (-want +got):\n%s", diff)
	}
	s := out.(*Stored).Subject()
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
