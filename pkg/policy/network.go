package policy

import (
	"strings"

	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// podNetwork is the protectedNetworks entry for the VM's default network.
const podNetwork = "pod"

// networkRef is a protected Multus network: namespace/name, namespace empty for "the VM's
// own namespace".
type networkRef struct {
	namespace, name string
}

// protection is what a policy's protectedNetworks say, parsed.
type protection struct {
	defaultNetwork bool
	multus         []networkRef
}

func parseProtection(entries []v1alpha1.NetworkName) protection {
	var p protection
	for _, e := range entries {
		if e == podNetwork {
			p.defaultNetwork = true
			continue
		}
		ns, name := splitNetworkName(string(e))
		p.multus = append(p.multus, networkRef{namespace: ns, name: name})
	}
	return p
}

// splitNetworkName splits a Multus networkName as KubeVirt does: "ns/name", or "name"
// with no namespace.
func splitNetworkName(s string) (namespace, name string) {
	if ns, name, ok := strings.Cut(s, "/"); ok {
		return ns, name
	}
	return "", s
}

// protects says whether an interface on network, in a VM of namespace vmNamespace, is
// protected, and names the network for messages. A networkName without a namespace is
// resolved in the VM's namespace, as KubeVirt resolves it, on both sides: "storage" in a
// policy and "tenant-a/storage" in a VM of tenant-a are the same network.
func (p *protection) protects(network *v1.Network, vmNamespace string) (bool, string) {
	if network == nil {
		return false, ""
	}
	if p.defaultNetwork && linkstate.IsDefaultNetwork(network) {
		return true, "the default network (protected as " + podNetwork + ")"
	}
	if network.Multus == nil || len(p.multus) == 0 {
		return false, ""
	}
	ns, name := splitNetworkName(network.Multus.NetworkName)
	if ns == "" {
		ns = vmNamespace
	}
	for _, ref := range p.multus {
		refNamespace := ref.namespace
		if refNamespace == "" {
			refNamespace = vmNamespace
		}
		if ref.name == name && refNamespace == ns {
			return true, "the protected network " + ns + "/" + name
		}
	}
	return false, ""
}
