package linkstate

import v1 "kubevirt.io/api/core/v1"

// SpecIndex finds the interfaces and networks of a VMI spec by name. Rules look up, for
// every interface, its network and on update its old self: with linear scans, judging a
// VM with a thousand interfaces took a million comparisons. It returns the first of
// duplicate names (duplicates are KubeVirt's validator's to report).
type SpecIndex struct {
	spec     *v1.VirtualMachineInstanceSpec
	ifaces   map[string]int
	networks map[string]int
}

// IndexSpec indexes spec, which must not change while the index is used.
func IndexSpec(spec *v1.VirtualMachineInstanceSpec) *SpecIndex {
	x := &SpecIndex{
		spec:     spec,
		ifaces:   make(map[string]int, len(spec.Domain.Devices.Interfaces)),
		networks: make(map[string]int, len(spec.Networks)),
	}
	for i := range spec.Domain.Devices.Interfaces {
		if _, dup := x.ifaces[spec.Domain.Devices.Interfaces[i].Name]; !dup {
			x.ifaces[spec.Domain.Devices.Interfaces[i].Name] = i
		}
	}
	for i := range spec.Networks {
		if _, dup := x.networks[spec.Networks[i].Name]; !dup {
			x.networks[spec.Networks[i].Name] = i
		}
	}
	return x
}

// Interface is the first interface named name, or nil.
func (x *SpecIndex) Interface(name string) *v1.Interface {
	if i, ok := x.ifaces[name]; ok {
		return &x.spec.Domain.Devices.Interfaces[i]
	}
	return nil
}

// Network is the first network named name (the one an interface of that name refers to),
// or nil.
func (x *SpecIndex) Network(name string) *v1.Network {
	if i, ok := x.networks[name]; ok {
		return &x.spec.Networks[i]
	}
	return nil
}
