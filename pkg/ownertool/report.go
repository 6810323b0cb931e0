package ownertool

import (
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Report is what `kubectl linkstate get` shows for one VM or VMI, and what -o json|yaml
// prints.
type Report struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Running: a VM whose status says its VMI exists, or one whose VMI was found; a VMI
	// always.
	Running bool `json:"running"`
	// Node is where the VMI runs: whose virt-handler applies link states.
	Node string `json:"node,omitempty"`
	// Dialect is the spelling Desired and Reported are shown in.
	Dialect    linkstate.Dialect `json:"dialect"`
	Interfaces []InterfaceReport `json:"interfaces"`
}

// InterfaceReport is one row of the table.
type InterfaceReport struct {
	Name string `json:"name"`
	// Binding is how the interface is connected: bridge, masquerade, sriov, passtBinding,
	// or a binding plugin's name.
	Binding string `json:"binding"`
	// Network is what the interface is attached to: pod, or the Multus network
	// (NetworkAttachmentDefinition) it names; empty when its network is missing.
	Network string `json:"network"`
	// DefaultNetwork is set for the pod network or a Multus network marked default: taking
	// its link down stops probes and services.
	DefaultNetwork bool   `json:"defaultNetwork"`
	Model          string `json:"model,omitempty"`
	// Stored is the state exactly as the spec holds it; empty when it holds none.
	Stored v1.InterfaceState `json:"stored"`
	// Desired is what the spec asks for: canonical spelling, empty read as up.
	Desired v1.InterfaceState `json:"desired"`
	// Reported is the VMI's status.interfaces[].linkState in the same spelling, or absent
	// once an unplugged interface has left the VMI's status; empty when there is no VMI or
	// it reports nothing for the interface (SR-IOV does not).
	Reported v1.InterfaceState `json:"reported,omitempty"`
	// InSync says whether Reported matches Desired; null when that cannot be told.
	InSync *bool  `json:"inSync"`
	MAC    string `json:"mac,omitempty"`
}

// BuildReport puts a VM's or VMI's spec next to what its VMI reports. vmi is nil when there
// is none; for a VMI target it is the object itself.
func BuildReport(obj, vmi *Object, d linkstate.Dialect) Report {
	r := Report{
		Kind:      obj.Target.GroupKind.Kind,
		Namespace: obj.Namespace,
		Name:      obj.Name,
		Running:   obj.Running || vmi != nil,
		Dialect:   d,
	}
	if vmi != nil {
		r.Node = vmi.Node
	}
	reported := map[string]v1.VirtualMachineInstanceNetworkInterface{}
	if vmi != nil {
		for _, s := range vmi.Status {
			if _, dup := reported[s.Name]; !dup && s.Name != "" {
				reported[s.Name] = s
			}
		}
	}
	index := linkstate.IndexSpec(&obj.Spec)
	r.Interfaces = make([]InterfaceReport, 0, len(obj.Interfaces()))
	for i := range obj.Interfaces() {
		iface := &obj.Interfaces()[i]
		row := InterfaceReport{
			Name:    iface.Name,
			Binding: linkstate.ClassifyBinding(iface).String(),
			Model:   iface.Model,
			Stored:  iface.State,
			Desired: d.Resolve(iface.State),
		}
		if n := index.Network(iface.Name); n != nil {
			row.Network = networkSource(n)
			row.DefaultNetwork = linkstate.IsDefaultNetwork(n)
		}
		status, listed := reported[iface.Name]
		row.MAC = status.MAC
		row.Reported, row.InSync = compare(d, row.Desired, vmi != nil, listed, status.LinkState)
		r.Interfaces = append(r.Interfaces, row)
	}
	return r
}

// compare reads the VMI's report for one interface against its desired state.
func compare(d linkstate.Dialect, desired v1.InterfaceState, haveVMI, listed bool, linkState string) (v1.InterfaceState, *bool) {
	want, _ := d.Interpret(desired)
	if !haveVMI {
		return "", nil
	}
	if want == linkstate.MeaningAbsent {
		// Unplugged once the VMI stops listing it; a listed interface is still plugged,
		// whatever its link.
		if !listed {
			return linkstate.Absent, ptr(true)
		}
		reported, _ := spell(d, linkState)
		return reported, ptr(false)
	}
	reported, got := spell(d, linkState)
	if reported == "" || want == linkstate.MeaningInvalid {
		return reported, nil
	}
	return reported, ptr(got == want)
}

// spell shows a reported link state in the dialect's spelling, so DESIRED and REPORTED read
// alike (virt-handler reports up/down in both dialects). Unknown values are kept as they are.
func spell(d linkstate.Dialect, linkState string) (v1.InterfaceState, linkstate.Meaning) {
	m, _ := d.Interpret(v1.InterfaceState(linkState))
	switch m {
	case linkstate.MeaningUp, linkstate.MeaningDown:
		return d.Canonical(m), m
	case linkstate.MeaningUnset:
		return "", m
	}
	return v1.InterfaceState(linkState), m
}

// networkSource names what a network attaches to, as a VM owner knows it.
func networkSource(n *v1.Network) string {
	switch {
	case n.Pod != nil:
		return "pod"
	case n.Multus != nil:
		return n.Multus.NetworkName
	}
	return "other"
}

func ptr[T any](v T) *T { return &v }
