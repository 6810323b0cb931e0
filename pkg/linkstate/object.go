package linkstate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/jsonprune"
)

// Kind describes one of the KubeVirt kinds whose interfaces carry a state, and where the
// VMI spec sits inside it.
type Kind struct {
	GroupKind schema.GroupKind
	// SpecPath is the field path of the VMI spec, for error messages.
	SpecPath *field.Path
	// SpecPointer is the JSON pointer of the VMI spec, for patches.
	SpecPointer string
}

var (
	VirtualMachine = Kind{
		GroupKind:   v1.VirtualMachineGroupVersionKind.GroupKind(),
		SpecPath:    field.NewPath("spec", "template", "spec"),
		SpecPointer: "/spec/template/spec",
	}
	VirtualMachineInstance = Kind{
		GroupKind:   v1.VirtualMachineInstanceGroupVersionKind.GroupKind(),
		SpecPath:    field.NewPath("spec"),
		SpecPointer: "/spec",
	}
)

// StatePointer is the JSON pointer of interfaces[i].state.
func (k Kind) StatePointer(i int) string {
	return fmt.Sprintf("%s/domain/devices/interfaces/%d/state", k.SpecPointer, i)
}

// Object is the part of a VM or VMI the rules read.
type Object struct {
	Kind      Kind
	Namespace string
	Name      string
	// Labels are the object's own metadata.labels (for a VM, not its template's), which
	// LinkStatePolicies select on.
	Labels map[string]string
	// Deleting is set once the object has a deletionTimestamp.
	Deleting bool
	// Spec holds only spec.domain.devices.interfaces and spec.networks of the VMI spec
	// (for a VM, of its template): the rest is never decoded. That keeps admission cheap
	// and keeps a field this service does not read from ever failing a request.
	Spec v1.VirtualMachineInstanceSpec
	// Running is set for a VM whose status says it has a VMI (see VMStatusRunning).
	Running bool
	// Status holds a VMI's status.interfaces (name and reported link state among them).
	Status []v1.VirtualMachineInstanceNetworkInterface
}

// The decoding shapes: just the fields rules read, typed with kubevirt.io/api.
type (
	objectMeta struct {
		Name              string            `json:"name"`
		GenerateName      string            `json:"generateName"`
		Namespace         string            `json:"namespace"`
		Labels            map[string]string `json:"labels"`
		DeletionTimestamp *string           `json:"deletionTimestamp"`
	}
	vmiSpec struct {
		Domain struct {
			Devices struct {
				Interfaces []v1.Interface `json:"interfaces"`
			} `json:"devices"`
		} `json:"domain"`
		Networks []v1.Network `json:"networks"`
	}
	vmStatus struct {
		Created         bool                             `json:"created"`
		Ready           bool                             `json:"ready"`
		PrintableStatus v1.VirtualMachinePrintableStatus `json:"printableStatus"`
	}
	vmDocument struct {
		Metadata objectMeta `json:"metadata"`
		Spec     struct {
			Template *struct {
				Spec vmiSpec `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
		Status vmStatus `json:"status"`
	}
	vmiDocument struct {
		Metadata objectMeta `json:"metadata"`
		Spec     vmiSpec    `json:"spec"`
		Status   struct {
			Interfaces []v1.VirtualMachineInstanceNetworkInterface `json:"interfaces"`
		} `json:"status"`
	}
)

// The decoders read only the members of the shapes above (see internal/jsonprune): most of
// a stored VM is managed fields, annotations, disks and cloud-init the rules never read.
var (
	vmDecoder  = jsonprune.NewDecoder[vmDocument]()
	vmiDecoder = jsonprune.NewDecoder[vmiDocument]()
)

// Decode reads a VM or VMI from its JSON. Field names are matched case-sensitively, as the
// API server does. An error names the kind and what could not be read.
func (k Kind) Decode(raw []byte) (*Object, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("no %s in the request", k.GroupKind.Kind)
	}
	obj := &Object{Kind: k}
	var meta objectMeta
	var spec *vmiSpec
	switch k.GroupKind.Kind {
	case VirtualMachine.GroupKind.Kind:
		var doc vmDocument
		if err := vmDecoder.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", k.GroupKind.Kind, err)
		}
		meta = doc.Metadata
		if doc.Spec.Template != nil {
			spec = &doc.Spec.Template.Spec
		}
		obj.Running = VMStatusRunning(doc.Status.Created, doc.Status.Ready, doc.Status.PrintableStatus)
	case VirtualMachineInstance.GroupKind.Kind:
		var doc vmiDocument
		if err := vmiDecoder.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", k.GroupKind.Kind, err)
		}
		meta, spec = doc.Metadata, &doc.Spec
		obj.Status = doc.Status.Interfaces
	default:
		return nil, fmt.Errorf("kind %s is not decoded here", k.GroupKind)
	}
	obj.Namespace, obj.Name, obj.Labels, obj.Deleting = meta.Namespace, meta.Name, meta.Labels, meta.DeletionTimestamp != nil
	if obj.Name == "" {
		obj.Name = meta.GenerateName
	}
	if spec != nil {
		obj.Spec.Domain.Devices.Interfaces = spec.Domain.Devices.Interfaces
		obj.Spec.Networks = spec.Networks
	}
	return obj, nil
}

// VMStatusRunning decides from a VM's status whether it has a running VMI, which is when
// interface changes reach the guest live (hot-plug, hot-unplug, link toggling) instead of
// at the next start. status.created is what KubeVirt sets while the VMI exists; ready and
// the printable statuses of a live VMI count too, so a controller or a test that sets only
// those is understood the same way.
func VMStatusRunning(created, ready bool, printable v1.VirtualMachinePrintableStatus) bool {
	switch printable {
	case v1.VirtualMachineStatusRunning, v1.VirtualMachineStatusPaused, v1.VirtualMachineStatusMigrating:
		return true
	}
	return created || ready
}
