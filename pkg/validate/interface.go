package validate

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Interfaces applies the per-interface rules (V1, B1–B4, A1, A2, P1) to every interface of
// a VMI spec; specPath is where that spec sits (spec for a VMI, spec.template.spec for a VM).
// Every violation is reported, not only the first.
func Interfaces(specPath *field.Path, spec *v1.VirtualMachineInstanceSpec, cfg linkstate.Config) finding.Findings {
	return interfacesExcept(specPath, spec, linkstate.IndexSpec(spec), nil, cfg)
}

// InterfacesUpdate is Interfaces for an update: an interface whose state, binding, model
// and network are what they were in the old spec is not judged again. Without that, an
// object stored before this webhook (or before a settings change) could no longer be
// updated at all — not even to remove a finalizer — for a value its owner did not touch.
func InterfacesUpdate(specPath *field.Path, spec, old *v1.VirtualMachineInstanceSpec, cfg linkstate.Config) finding.Findings {
	idx, oldIdx := linkstate.IndexSpec(spec), linkstate.IndexSpec(old)
	return interfacesExcept(specPath, spec, idx, func(i int) bool {
		return unchangedSince(oldIdx, idx, &spec.Domain.Devices.Interfaces[i], cfg.Dialect)
	}, cfg)
}

// interfacesExcept judges the interfaces of spec (indexed by idx) that skip does not skip.
func interfacesExcept(specPath *field.Path, spec *v1.VirtualMachineInstanceSpec, idx *linkstate.SpecIndex, skip func(int) bool, cfg linkstate.Config) finding.Findings {
	var fs finding.Findings
	ifacesPath := specPath.Child("domain", "devices", "interfaces")
	for i := range spec.Domain.Devices.Interfaces {
		if skip != nil && skip(i) {
			continue
		}
		iface := &spec.Domain.Devices.Interfaces[i]
		fs = append(fs, validateInterface(ifacesPath.Index(i), iface, idx.Network(iface.Name), cfg)...)
	}
	return fs
}

// validateInterface judges one interface. network is nil when no network has the
// interface's name: rules that need the network then skip it (KubeVirt reports that).
func validateInterface(fld *field.Path, iface *v1.Interface, network *v1.Network, cfg linkstate.Config) finding.Findings {
	statePath := fld.Child("state")
	meaning, _ := cfg.Dialect.Interpret(iface.State)
	switch meaning {
	case linkstate.MeaningInvalid:
		return finding.Findings{validateValue(statePath, iface.State, cfg.Dialect)}
	case linkstate.MeaningUp, linkstate.MeaningDown:
		if !cfg.Dialect.SupportsLinkState() {
			return finding.Findings{validateUnsupported(statePath, iface.State)}
		}
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

// unchangedSince reports whether iface, of the spec idx indexes, has the same state,
// binding, model and network as the old spec's interface of the same name.
func unchangedSince(old, idx *linkstate.SpecIndex, iface *v1.Interface, d linkstate.Dialect) bool {
	oldIface := old.Interface(iface.Name)
	if oldIface == nil {
		return false
	}
	return sameState(d, oldIface.State, iface.State) &&
		oldIface.Model == iface.Model &&
		linkstate.ClassifyBinding(oldIface) == linkstate.ClassifyBinding(iface) &&
		linkstate.IsDefaultNetwork(old.Network(iface.Name)) == linkstate.IsDefaultNetwork(idx.Network(iface.Name))
}

// sameState reports whether two values ask for the same state. An alias and its canonical
// spelling do: the mutator rewrites a stored alias on every update, and that rewrite must
// not make an untouched interface count as changed (and be denied, say, on SR-IOV). An
// empty state and an explicit up do not, nor do two different illegal values.
func sameState(d linkstate.Dialect, a, b v1.InterfaceState) bool {
	ma, _ := d.Interpret(a)
	mb, _ := d.Interpret(b)
	switch {
	case ma == linkstate.MeaningInvalid || ma == linkstate.MeaningUnset,
		mb == linkstate.MeaningInvalid || mb == linkstate.MeaningUnset:
		return a == b
	}
	return ma == mb
}
