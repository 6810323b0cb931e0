package linkstate

import v1 "kubevirt.io/api/core/v1"

// FindNetwork returns the network an interface refers to by name, or nil when there is
// none (a structural error KubeVirt reports; rules that need the network skip it).
func FindNetwork(spec *v1.VirtualMachineInstanceSpec, ifaceName string) *v1.Network {
	for i := range spec.Networks {
		if spec.Networks[i].Name == ifaceName {
			return &spec.Networks[i]
		}
	}
	return nil
}

// IsDefaultNetwork reports whether a network is the VM's default (primary) network: the
// pod network, or a Multus network marked `default: true` that replaces it. Traffic the
// cluster sends the VM — probes, services — arrives there.
func IsDefaultNetwork(n *v1.Network) bool {
	if n == nil {
		return false
	}
	return n.Pod != nil || (n.Multus != nil && n.Multus.Default)
}
