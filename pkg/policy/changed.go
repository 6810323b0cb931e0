package policy

import (
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// judged calls fn for each interface policies judge: on create every one; on update those
// that are new, or whose state (by meaning: an alias rewritten to its canonical spelling is
// no change) or network changed. Like the built-in rules, policies never judge an
// interface its owner did not touch, so an object stored before a policy existed can still
// be updated. Unlike them, a change of network counts, since protection depends on it.
func judged(r *Request, fn func(i int, iface *v1.Interface, network *v1.Network)) {
	spec := &r.Object.Spec
	idx := linkstate.IndexSpec(spec)
	var old *linkstate.SpecIndex
	if r.Old != nil {
		old = linkstate.IndexSpec(&r.Old.Spec)
	}
	for i := range spec.Domain.Devices.Interfaces {
		iface := &spec.Domain.Devices.Interfaces[i]
		network := idx.Network(iface.Name)
		if old != nil && unchanged(r.Dialect, old, iface, network) {
			continue
		}
		fn(i, iface, network)
	}
}

func unchanged(d linkstate.Dialect, old *linkstate.SpecIndex, iface *v1.Interface, network *v1.Network) bool {
	oldIface := old.Interface(iface.Name)
	if oldIface == nil {
		return false
	}
	m, _ := d.Interpret(iface.State)
	oldM, _ := d.Interpret(oldIface.State)
	if m != oldM || (m == linkstate.MeaningInvalid && iface.State != oldIface.State) {
		return false
	}
	return sameNetwork(old.Network(iface.Name), network)
}

// sameNetwork compares what protection depends on: the pod network, or a Multus network by
// name and default flag.
func sameNetwork(a, b *v1.Network) bool {
	switch {
	case a == nil || b == nil:
		return a == b
	case (a.Pod != nil) != (b.Pod != nil), (a.Multus != nil) != (b.Multus != nil):
		return false
	case a.Multus != nil:
		return a.Multus.NetworkName == b.Multus.NetworkName && a.Multus.Default == b.Multus.Default
	}
	return true
}
