package linkstate

import v1 "kubevirt.io/api/core/v1"

// IsDefaultNetwork reports whether a network is the VM's default (primary) network: the
// pod network, or a Multus network marked `default: true` that replaces it. Traffic the
// cluster sends the VM — probes, services — arrives there.
func IsDefaultNetwork(n *v1.Network) bool {
	if n == nil {
		return false
	}
	return n.Pod != nil || (n.Multus != nil && n.Multus.Default)
}
