package ownertool

import (
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// vmObject is a VM as ReadObject would return it.
func vmObject(name string, running bool, ifaces []v1.Interface, nets ...v1.Network) *Object {
	o := &Object{Object: &linkstate.Object{Kind: linkstate.VirtualMachine, Namespace: "ns", Name: name, Running: running}, Target: VM}
	o.Spec.Domain.Devices.Interfaces = ifaces
	o.Spec.Networks = nets
	return o
}

// vmiObject is a VMI with a status.interfaces list.
func vmiObject(name string, ifaces []v1.Interface, status []v1.VirtualMachineInstanceNetworkInterface, nets ...v1.Network) *Object {
	o := &Object{Object: &linkstate.Object{Kind: linkstate.VirtualMachineInstance, Namespace: "ns", Name: name, Status: status},
		Target: VMI, Node: "node-1"}
	o.Spec.Domain.Devices.Interfaces = ifaces
	o.Spec.Networks = nets
	return o
}

func reports(name, linkState string) v1.VirtualMachineInstanceNetworkInterface {
	return v1.VirtualMachineInstanceNetworkInterface{Name: name, LinkState: linkState}
}
