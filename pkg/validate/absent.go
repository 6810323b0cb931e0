package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// validateAbsent judges a hot-unplug request: A1, only interfaces with an explicit bridge
// binding and the virtio model can be unplugged; A2, never the interface on the default
// network. ifacePath is the interface's own path, since A1 may name its model rather than
// its state.
func validateAbsent(ifacePath *field.Path, iface *v1.Interface, network *v1.Network, d linkstate.Dialect) finding.Findings {
	var fs finding.Findings
	statePath := ifacePath.Child("state")
	b := linkstate.ClassifyBinding(iface)
	switch b.Kind {
	case linkstate.BindingBridge:
		if !linkstate.IsVirtioModel(iface) {
			fs = append(fs, finding.Deny(finding.RuleAbsentBinding, field.Invalid(ifacePath.Child("model"), iface.Model, msgAbsentModel)))
		}
	case linkstate.BindingNone:
		// KubeVirt's admitter requires `bridge` itself for absent: no binding is not enough.
		fs = append(fs, finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath, iface.State, msgAbsentNoBinding)))
	case linkstate.BindingDiscontinued, linkstate.BindingAmbiguous:
		// KubeVirt's own validator rejects these interfaces whatever their state.
	default:
		fs = append(fs, finding.Deny(finding.RuleAbsentBinding, field.Invalid(statePath, iface.State, fmt.Sprintf(msgAbsentBinding, b))))
	}
	if linkstate.IsDefaultNetwork(network) {
		msg := msgAbsentDefaultNoLinkState
		if d.SupportsLinkState() {
			msg = fmt.Sprintf(msgAbsentDefault, d.Down())
		}
		fs = append(fs, finding.Deny(finding.RuleAbsentDefault, field.Invalid(statePath, iface.State, msg)))
	}
	return fs
}
