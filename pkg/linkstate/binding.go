package linkstate

import v1 "kubevirt.io/api/core/v1"

// BindingKind is how an interface is connected to the guest.
type BindingKind string

const (
	// BindingNone is an interface that names no binding at all. KubeVirt before v1.9 reads
	// it as bridge; v1.9 rejects it. Link up/down on it is allowed (as on bridge), but it
	// is neither defaulted (D1) nor hot-unpluggable (A1: KubeVirt requires an explicit
	// bridge for absent).
	BindingNone         BindingKind = "none"
	BindingBridge       BindingKind = "bridge"
	BindingMasquerade   BindingKind = "masquerade"
	BindingSRIOV        BindingKind = "sriov"
	BindingPasstBinding BindingKind = "passtBinding"
	// BindingPlugin is a network binding plugin, `binding: {name: X}`.
	BindingPlugin BindingKind = "plugin"
	// BindingDiscontinued covers slirp, macvtap and the legacy passt binding, removed in
	// KubeVirt v1.3; KubeVirt itself rejects them, so they are not judged here (B5).
	BindingDiscontinued BindingKind = "discontinued"
	// BindingAmbiguous is more than one binding on one interface: a structural error that
	// KubeVirt's own validator reports, so it is not judged here.
	BindingAmbiguous BindingKind = "ambiguous"
)

// Binding identifies an interface's binding; Name is set for plugins and for discontinued
// bindings (slirp, macvtap, passt).
type Binding struct {
	Kind BindingKind
	Name string
}

// String names the binding the way a user wrote it.
func (b Binding) String() string {
	switch {
	case b.Name != "":
		return b.Name
	case b.Kind == BindingNone:
		return "no binding"
	}
	return string(b.Kind)
}

// ClassifyBinding names the binding of an interface.
func ClassifyBinding(iface *v1.Interface) Binding {
	var found []Binding
	add := func(set bool, b Binding) {
		if set {
			found = append(found, b)
		}
	}
	m := &iface.InterfaceBindingMethod
	add(m.Bridge != nil, Binding{Kind: BindingBridge})
	add(m.Masquerade != nil, Binding{Kind: BindingMasquerade})
	add(m.SRIOV != nil, Binding{Kind: BindingSRIOV})
	add(m.PasstBinding != nil, Binding{Kind: BindingPasstBinding})
	add(m.DeprecatedSlirp != nil, Binding{Kind: BindingDiscontinued, Name: "slirp"})
	add(m.DeprecatedMacvtap != nil, Binding{Kind: BindingDiscontinued, Name: "macvtap"})
	add(m.DeprecatedPasst != nil, Binding{Kind: BindingDiscontinued, Name: "passt"})
	if iface.Binding != nil {
		found = append(found, Binding{Kind: BindingPlugin, Name: iface.Binding.Name})
	}
	switch len(found) {
	case 0:
		return Binding{Kind: BindingNone}
	case 1:
		return found[0]
	}
	return Binding{Kind: BindingAmbiguous}
}

// IsVirtioModel reports whether the interface's model is virtio, the default.
func IsVirtioModel(iface *v1.Interface) bool {
	return iface.Model == "" || iface.Model == v1.VirtIO
}
