package linkstate

import (
	"testing"

	v1 "kubevirt.io/api/core/v1"
)

func TestClassifyBinding(t *testing.T) {
	m := func(b v1.InterfaceBindingMethod) v1.Interface {
		return v1.Interface{Name: "n", InterfaceBindingMethod: b}
	}
	tests := map[string]struct {
		iface v1.Interface
		want  Binding
	}{
		"none":             {v1.Interface{Name: "n"}, Binding{Kind: BindingNone}},
		"bridge":           {m(v1.InterfaceBindingMethod{Bridge: &v1.InterfaceBridge{}}), Binding{Kind: BindingBridge}},
		"masquerade":       {m(v1.InterfaceBindingMethod{Masquerade: &v1.InterfaceMasquerade{}}), Binding{Kind: BindingMasquerade}},
		"sriov":            {m(v1.InterfaceBindingMethod{SRIOV: &v1.InterfaceSRIOV{}}), Binding{Kind: BindingSRIOV}},
		"passtBinding":     {m(v1.InterfaceBindingMethod{PasstBinding: &v1.InterfacePasstBinding{}}), Binding{Kind: BindingPasstBinding}},
		"slirp":            {m(v1.InterfaceBindingMethod{DeprecatedSlirp: &v1.DeprecatedInterfaceSlirp{}}), Binding{Kind: BindingDiscontinued, Name: "slirp"}},
		"macvtap":          {m(v1.InterfaceBindingMethod{DeprecatedMacvtap: &v1.DeprecatedInterfaceMacvtap{}}), Binding{Kind: BindingDiscontinued, Name: "macvtap"}},
		"legacy passt":     {m(v1.InterfaceBindingMethod{DeprecatedPasst: &v1.DeprecatedInterfacePasst{}}), Binding{Kind: BindingDiscontinued, Name: "passt"}},
		"plugin":           {v1.Interface{Name: "n", Binding: &v1.PluginBinding{Name: "l2bridge"}}, Binding{Kind: BindingPlugin, Name: "l2bridge"}},
		"plugin and core":  {v1.Interface{Name: "n", Binding: &v1.PluginBinding{Name: "x"}, InterfaceBindingMethod: v1.InterfaceBindingMethod{Bridge: &v1.InterfaceBridge{}}}, Binding{Kind: BindingAmbiguous}},
		"two core methods": {m(v1.InterfaceBindingMethod{Bridge: &v1.InterfaceBridge{}, SRIOV: &v1.InterfaceSRIOV{}}), Binding{Kind: BindingAmbiguous}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ClassifyBinding(&tc.iface); got != tc.want {
				t.Errorf("ClassifyBinding = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBindingString(t *testing.T) {
	if got := (Binding{Kind: BindingPlugin, Name: "l2bridge"}).String(); got != "l2bridge" {
		t.Errorf("plugin String() = %q", got)
	}
	if got := (Binding{Kind: BindingSRIOV}).String(); got != "sriov" {
		t.Errorf("sriov String() = %q", got)
	}
	if got := (Binding{Kind: BindingNone}).String(); got != "no binding" {
		t.Errorf("none String() = %q", got)
	}
}

func TestIsVirtioModel(t *testing.T) {
	for model, want := range map[string]bool{"": true, "virtio": true, "e1000": false, "e1000e": false, "rtl8139": false, "Virtio": false} {
		if got := IsVirtioModel(&v1.Interface{Model: model}); got != want {
			t.Errorf("IsVirtioModel(%q) = %v, want %v", model, got, want)
		}
	}
}
