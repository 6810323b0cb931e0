package validate

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Interfaces applies the per-interface rules (V1, B1–B4, A1, A2, P1) to every interface of
// a VMI spec; specPath is where that spec sits (spec for a VMI, spec.template.spec for a VM).
// Every violation is reported, not only the first.
func Interfaces(specPath *field.Path, spec *v1.VirtualMachineInstanceSpec, cfg linkstate.Config) Findings {
	return interfacesExcept(specPath, spec, nil, cfg)
}

// InterfacesUpdate is Interfaces for an update: an interface whose state, binding, model
// and network are what they were in the old spec is not judged again. Without that, an
// object stored before this webhook (or before a settings change) could no longer be
// updated at all — not even to remove a finalizer — for a value its owner did not touch.
func InterfacesUpdate(specPath *field.Path, spec, old *v1.VirtualMachineInstanceSpec, cfg linkstate.Config) Findings {
	return interfacesExcept(specPath, spec, func(i int) bool { return unchangedSince(old, spec, i) }, cfg)
}

func interfacesExcept(specPath *field.Path, spec *v1.VirtualMachineInstanceSpec, skip func(int) bool, cfg linkstate.Config) Findings {
	var fs Findings
	ifacesPath := specPath.Child("domain", "devices", "interfaces")
	for i := range spec.Domain.Devices.Interfaces {
		if skip != nil && skip(i) {
			continue
		}
		iface := &spec.Domain.Devices.Interfaces[i]
		fs = append(fs, validateInterface(ifacesPath.Index(i), iface, linkstate.FindNetwork(spec, iface.Name), cfg)...)
	}
	return fs
}

// validateInterface judges one interface. network is nil when no network has the
// interface's name: rules that need the network then skip it (KubeVirt reports that).
func validateInterface(fld *field.Path, iface *v1.Interface, network *v1.Network, cfg linkstate.Config) Findings {
	statePath := fld.Child("state")
	meaning, _ := cfg.Dialect.Interpret(iface.State)
	switch meaning {
	case linkstate.MeaningInvalid:
		return Findings{validateValue(statePath, iface.State, cfg.Dialect)}
	case linkstate.MeaningUp, linkstate.MeaningDown:
		fs := validateBindingSupport(statePath, iface, linkstate.ClassifyBinding(iface), cfg)
		if meaning == linkstate.MeaningDown {
			fs = append(fs, validateDefaultNetworkDown(statePath, network)...)
		}
		return fs
	case linkstate.MeaningAbsent:
		return validateAbsent(fld, iface, network, cfg.Dialect)
	}
	return nil // empty state: never judged
}

// unchangedSince reports whether interface i of spec has the same state, binding, model
// and network as the old spec's interface of the same name.
func unchangedSince(old, spec *v1.VirtualMachineInstanceSpec, i int) bool {
	iface := &spec.Domain.Devices.Interfaces[i]
	oldIface := findInterface(old, iface.Name)
	if oldIface == nil {
		return false
	}
	return oldIface.State == iface.State &&
		oldIface.Model == iface.Model &&
		linkstate.ClassifyBinding(oldIface) == linkstate.ClassifyBinding(iface) &&
		linkstate.IsDefaultNetwork(linkstate.FindNetwork(old, iface.Name)) ==
			linkstate.IsDefaultNetwork(linkstate.FindNetwork(spec, iface.Name))
}

func findInterface(spec *v1.VirtualMachineInstanceSpec, name string) *v1.Interface {
	for i := range spec.Domain.Devices.Interfaces {
		if spec.Domain.Devices.Interfaces[i].Name == name {
			return &spec.Domain.Devices.Interfaces[i]
		}
	}
	return nil
}
