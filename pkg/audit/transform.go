package audit

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The informer caches keep, of every VM and VMI in the cluster, only what the rules and
// the Reports read: identity (namespace, name, uid, resourceVersion), labels, the deletion
// mark, the interfaces and networks, and a VM's running status. A stored VM is mostly
// managed fields, kubectl's last-applied copy, disks, volumes and cloud-init; keeping
// those for 100,000 VMs would take gigabytes. The transforms run as each object arrives
// (with the streaming list the scanner asks for, one object at a time), so the full
// objects never pile up.

// StripVM is the cache transform of VirtualMachines. Anything else (the informer's
// tombstones among them) passes through unchanged.
func StripVM(in any) (any, error) {
	vm, ok := in.(*v1.VirtualMachine)
	if !ok {
		return in, nil
	}
	out := &v1.VirtualMachine{
		TypeMeta:   vm.TypeMeta,
		ObjectMeta: stripMeta(&vm.ObjectMeta),
		Status: v1.VirtualMachineStatus{
			Created:         vm.Status.Created,
			Ready:           vm.Status.Ready,
			PrintableStatus: vm.Status.PrintableStatus,
		},
	}
	if t := vm.Spec.Template; t != nil {
		out.Spec.Template = &v1.VirtualMachineInstanceTemplateSpec{Spec: stripSpec(&t.Spec)}
	}
	return out, nil
}

// StripVMI is the cache transform of VirtualMachineInstances: their status, which
// virt-handler rewrites often, is not kept (the rules judge the spec).
func StripVMI(in any) (any, error) {
	vmi, ok := in.(*v1.VirtualMachineInstance)
	if !ok {
		return in, nil
	}
	return &v1.VirtualMachineInstance{
		TypeMeta:   vmi.TypeMeta,
		ObjectMeta: stripMeta(&vmi.ObjectMeta),
		Spec:       stripSpec(&vmi.Spec),
	}, nil
}

func stripMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:              m.Name,
		Namespace:         m.Namespace,
		UID:               m.UID,
		ResourceVersion:   m.ResourceVersion,
		Labels:            m.Labels,
		DeletionTimestamp: m.DeletionTimestamp,
	}
}

func stripSpec(s *v1.VirtualMachineInstanceSpec) v1.VirtualMachineInstanceSpec {
	var out v1.VirtualMachineInstanceSpec
	out.Domain.Devices.Interfaces = s.Domain.Devices.Interfaces
	out.Networks = s.Networks
	return out
}

// SubjectOfVM is what the judges read of a (stripped or full) VirtualMachine.
func SubjectOfVM(vm *v1.VirtualMachine) *Subject {
	obj := &linkstate.Object{
		Kind:      linkstate.VirtualMachine,
		Namespace: vm.Namespace,
		Name:      vm.Name,
		Deleting:  vm.DeletionTimestamp != nil,
		Running:   linkstate.VMStatusRunning(vm.Status.Created, vm.Status.Ready, vm.Status.PrintableStatus),
	}
	if t := vm.Spec.Template; t != nil {
		obj.Spec = stripSpec(&t.Spec)
	}
	return &Subject{Object: obj, UID: vm.UID, Labels: vm.Labels}
}

// SubjectOfVMI is what the judges read of a (stripped or full) VirtualMachineInstance.
func SubjectOfVMI(vmi *v1.VirtualMachineInstance) *Subject {
	obj := &linkstate.Object{
		Kind:      linkstate.VirtualMachineInstance,
		Namespace: vmi.Namespace,
		Name:      vmi.Name,
		Deleting:  vmi.DeletionTimestamp != nil,
		Spec:      stripSpec(&vmi.Spec),
	}
	return &Subject{Object: obj, UID: vmi.UID, Labels: vmi.Labels}
}
