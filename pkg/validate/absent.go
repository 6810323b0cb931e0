package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// validateAbsent judges a hot-unplug request: A1, only bridge interfaces with the virtio
// model can be unplugged; A2, never the interface on the default network. ifacePath is
// the interface's own path, since A1 may name its model rather than its state.
func validateAbsent(ifacePath *field.Path, iface *v1.Interface, network *v1.Network, d linkstate.Dialect) Findings {
	var fs Findings
	statePath := ifacePath.Child("state")
	b := linkstate.ClassifyBinding(iface)
	switch b.Kind {
	case linkstate.BindingBridge:
		if !linkstate.IsVirtioModel(iface) {
			fs = append(fs, deny(RuleAbsentBinding, field.Invalid(ifacePath.Child("model"), iface.Model, msgAbsentModel)))
		}
	case linkstate.BindingDiscontinued, linkstate.BindingAmbiguous:
		// KubeVirt's own validator rejects these interfaces whatever their state.
	default:
		fs = append(fs, deny(RuleAbsentBinding, field.Invalid(statePath, iface.State, fmt.Sprintf(msgAbsentBinding, b))))
	}
	if linkstate.IsDefaultNetwork(network) {
		fs = append(fs, deny(RuleAbsentDefault, field.Invalid(statePath, iface.State, fmt.Sprintf(msgAbsentDefault, d.Down()))))
	}
	return fs
}
