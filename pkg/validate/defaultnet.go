package validate

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// validateDefaultNetworkDown is rule P1: a link set down on the default network is legal
// (a VM owner may want it), but cuts the VM off from probes and services, so say so.
func validateDefaultNetworkDown(statePath *field.Path, network *v1.Network) finding.Findings {
	if !linkstate.IsDefaultNetwork(network) {
		return nil
	}
	return finding.Findings{finding.Warn(finding.RuleDefaultNetDown, statePath, msgDefaultNetDown)}
}
