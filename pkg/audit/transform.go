package audit

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"unique"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The informer caches keep, of every VM and VMI in the cluster, a Stored: only what the
// rules and the Reports read. A stored VM is mostly managed fields, kubectl's last-applied
// copy, disks, volumes and cloud-init, and even its interfaces and networks, decoded into
// KubeVirt's types, take kilobytes; for 100,000 VMs that is gigabytes. The transforms run
// as each object arrives (with the streaming list the scanner asks for, one object at a
// time), so the full objects never pile up, and the strings every VM repeats (interface
// and network names, states, label keys and values) are kept once.

// Stored is what the audit's caches keep of a VirtualMachine or VirtualMachineInstance:
// about a hundred bytes of its own, plus its name and uid. Its interfaces and networks,
// and its labels, are each kept as one interned encoding: the VMs of one template share
// one copy, however many there are.
type Stored struct {
	// VMI is set for a VirtualMachineInstance.
	VMI             bool
	Namespace, Name string
	UID             types.UID
	// Deleting is set once the object has a deletion timestamp.
	Deleting bool
	// Running is a VM's status read as linkstate.VMStatusRunning does.
	Running bool
	// ns keeps Namespace's canonical copy alive: the unique package forgets a value
	// once no Handle to it is left, however many copies of its string remain.
	ns     unique.Handle[string]
	spec   unique.Handle[string] // storedSpec, encoded
	labels unique.Handle[string] // key, value, key, value..., sorted by key, NUL-separated
}

// storedSpec is what the rules read of a VMI spec.
type storedSpec struct {
	Interfaces []Interface `json:"i,omitempty"`
	Networks   []Network   `json:"n,omitempty"`
}

// Interface is what the rules read of an interface: its name, state, model, and which
// binding fields it sets.
type Interface struct {
	Name  string `json:"n"`
	State string `json:"s,omitempty"`
	Model string `json:"m,omitempty"`
	// Bindings has a bit per binding field that is set (a structurally broken interface
	// may set several, which the rules must still see).
	Bindings bindingBits `json:"b,omitempty"`
	// Plugin is the binding plugin's name, when Bindings has pluginBit.
	Plugin string `json:"p,omitempty"`
}

// Network is what the rules read of a network: its name, and whether it is the pod
// network or which Multus network, default or not.
type Network struct {
	Name        string `json:"n"`
	Pod         bool   `json:"p,omitempty"`
	Multus      bool   `json:"m,omitempty"`
	NetworkName string `json:"mn,omitempty"`
	Default     bool   `json:"d,omitempty"`
}

type bindingBits uint8

const (
	bridgeBit bindingBits = 1 << iota
	masqueradeBit
	sriovBit
	passtBindingBit
	slirpBit
	macvtapBit
	passtBit
	pluginBit
)

// StripVM is the cache transform of VirtualMachines: a *Stored. Anything else (the
// informer's tombstones among them) passes through unchanged.
func StripVM(in any) (any, error) {
	vm, ok := in.(*v1.VirtualMachine)
	if !ok {
		return in, nil
	}
	var spec v1.VirtualMachineInstanceSpec
	if t := vm.Spec.Template; t != nil {
		spec = t.Spec
	}
	out := newStored(&vm.ObjectMeta, &spec)
	out.Running = linkstate.VMStatusRunning(vm.Status.Created, vm.Status.Ready, vm.Status.PrintableStatus)
	return out, nil
}

// StripVMI is the cache transform of VirtualMachineInstances: a *Stored. Their status,
// which virt-handler rewrites often, is not kept (the rules judge the spec).
func StripVMI(in any) (any, error) {
	vmi, ok := in.(*v1.VirtualMachineInstance)
	if !ok {
		return in, nil
	}
	out := newStored(&vmi.ObjectMeta, &vmi.Spec)
	out.VMI = true
	return out, nil
}

func newStored(m *metav1.ObjectMeta, spec *v1.VirtualMachineInstanceSpec) *Stored {
	ns := unique.Make(m.Namespace)
	return &Stored{
		Namespace: ns.Value(),
		ns:        ns,
		// Copies, not slices of a larger string the decoder may have allocated.
		Name:     strings.Clone(m.Name),
		UID:      types.UID(strings.Clone(string(m.UID))),
		Deleting: m.DeletionTimestamp != nil,
		spec:     unique.Make(encodeSpec(spec)),
		labels:   unique.Make(encodeLabels(m.Labels)),
	}
}

func encodeLabels(l map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(l)) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(l[k])
		b.WriteByte(0)
	}
	return b.String()
}

func encodeSpec(s *v1.VirtualMachineInstanceSpec) string {
	var out storedSpec
	if n := len(s.Domain.Devices.Interfaces); n > 0 {
		out.Interfaces = make([]Interface, n)
		for i := range s.Domain.Devices.Interfaces {
			in := &s.Domain.Devices.Interfaces[i]
			iface := &out.Interfaces[i]
			iface.Name, iface.State, iface.Model = in.Name, string(in.State), in.Model
			m := &in.InterfaceBindingMethod
			for _, b := range []struct {
				set bool
				bit bindingBits
			}{
				{m.Bridge != nil, bridgeBit}, {m.Masquerade != nil, masqueradeBit}, {m.SRIOV != nil, sriovBit},
				{m.PasstBinding != nil, passtBindingBit}, {m.DeprecatedSlirp != nil, slirpBit},
				{m.DeprecatedMacvtap != nil, macvtapBit}, {m.DeprecatedPasst != nil, passtBit}, {in.Binding != nil, pluginBit},
			} {
				if b.set {
					iface.Bindings |= b.bit
				}
			}
			if in.Binding != nil {
				iface.Plugin = in.Binding.Name
			}
		}
	}
	if n := len(s.Networks); n > 0 {
		out.Networks = make([]Network, n)
		for i := range s.Networks {
			in := &s.Networks[i]
			out.Networks[i] = Network{Name: in.Name, Pod: in.Pod != nil}
			if in.Multus != nil {
				out.Networks[i].Multus, out.Networks[i].NetworkName, out.Networks[i].Default = true, in.Multus.NetworkName, in.Multus.Default
			}
		}
	}
	raw, _ := json.Marshal(out) // strings, bools and small integers: cannot fail
	return string(raw)
}

// Kept is what is kept of the interfaces and networks.
func (s *Stored) Kept() (ifaces []Interface, networks []Network) {
	var spec storedSpec
	_ = json.Unmarshal([]byte(s.spec.Value()), &spec) // encoded by encodeSpec: cannot fail
	return spec.Interfaces, spec.Networks
}

// Spec is the VMI spec the rules read, rebuilt from what is kept: interfaces (name,
// state, model, the binding fields set) and networks (pod or Multus, name, default).
func (s *Stored) Spec() v1.VirtualMachineInstanceSpec {
	var spec v1.VirtualMachineInstanceSpec
	kept, nets := s.Kept()
	if len(kept) > 0 {
		spec.Domain.Devices.Interfaces = make([]v1.Interface, len(kept))
		for i, in := range kept {
			out := &spec.Domain.Devices.Interfaces[i]
			out.Name, out.State, out.Model = in.Name, v1.InterfaceState(in.State), in.Model
			m := &out.InterfaceBindingMethod
			if in.Bindings&bridgeBit != 0 {
				m.Bridge = &v1.InterfaceBridge{}
			}
			if in.Bindings&masqueradeBit != 0 {
				m.Masquerade = &v1.InterfaceMasquerade{}
			}
			if in.Bindings&sriovBit != 0 {
				m.SRIOV = &v1.InterfaceSRIOV{}
			}
			if in.Bindings&passtBindingBit != 0 {
				m.PasstBinding = &v1.InterfacePasstBinding{}
			}
			if in.Bindings&slirpBit != 0 {
				m.DeprecatedSlirp = &v1.DeprecatedInterfaceSlirp{}
			}
			if in.Bindings&macvtapBit != 0 {
				m.DeprecatedMacvtap = &v1.DeprecatedInterfaceMacvtap{}
			}
			if in.Bindings&passtBit != 0 {
				m.DeprecatedPasst = &v1.DeprecatedInterfacePasst{}
			}
			if in.Bindings&pluginBit != 0 {
				out.Binding = &v1.PluginBinding{Name: in.Plugin}
			}
		}
	}
	if len(nets) > 0 {
		spec.Networks = make([]v1.Network, len(nets))
		for i, in := range nets {
			out := &spec.Networks[i]
			out.Name = in.Name
			if in.Pod {
				out.Pod = &v1.PodNetwork{}
			}
			if in.Multus {
				out.Multus = &v1.MultusNetwork{NetworkName: in.NetworkName, Default: in.Default}
			}
		}
	}
	return spec
}

// LabelMap is the object's labels.
func (s *Stored) LabelMap() map[string]string {
	encoded := s.labels.Value()
	if encoded == "" {
		return nil
	}
	parts := strings.Split(strings.TrimSuffix(encoded, "\x00"), "\x00")
	m := make(map[string]string, len(parts)/2)
	for i := 0; i+1 < len(parts); i += 2 {
		m[parts[i]] = parts[i+1]
	}
	return m
}

// Subject is what the judges read.
func (s *Stored) Subject() *Subject {
	kind := linkstate.VirtualMachine
	if s.VMI {
		kind = linkstate.VirtualMachineInstance
	}
	obj := &linkstate.Object{
		Kind:      kind,
		Namespace: s.Namespace,
		Name:      s.Name,
		Deleting:  s.Deleting,
		Running:   s.Running,
		Labels:    s.LabelMap(),
		Spec:      s.Spec(),
	}
	return &Subject{Object: obj, UID: s.UID, Labels: obj.Labels}
}

// The informers need a runtime.Object with metadata to key and index what they store.
// A Stored is never changed once made, so its copy is itself; its metadata is made when
// asked for rather than kept (it would triple its size).
var (
	_ runtime.Object            = (*Stored)(nil)
	_ metav1.ObjectMetaAccessor = (*Stored)(nil)
)

// GetObjectKind implements runtime.Object.
func (s *Stored) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject implements runtime.Object: a Stored is immutable.
func (s *Stored) DeepCopyObject() runtime.Object { return s }

// GetObjectMeta implements metav1.ObjectMetaAccessor, for the informers' keys and
// namespace index.
func (s *Stored) GetObjectMeta() metav1.Object {
	return &metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name, UID: s.UID}
}

// SubjectOfVM is what the judges read of a VirtualMachine (as the cache keeps it).
func SubjectOfVM(vm *v1.VirtualMachine) *Subject {
	s, _ := StripVM(vm)
	return s.(*Stored).Subject()
}

// SubjectOfVMI is what the judges read of a VirtualMachineInstance (as the cache keeps it).
func SubjectOfVMI(vmi *v1.VirtualMachineInstance) *Subject {
	s, _ := StripVMI(vmi)
	return s.(*Stored).Subject()
}
