package validate

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// validateUnsupported is rule V1 on a cluster whose KubeVirt has no link state at all
// (dialect none): an explicit up or down, in either spelling, says what the cluster needs.
func validateUnsupported(statePath *field.Path, state v1.InterfaceState) finding.Finding {
	return finding.Deny(finding.RuleValue, field.Invalid(statePath, state, msgNoLinkState))
}

// validateValue is rule V1, for a value neither dialect knows: it lists what is legal.
func validateValue(statePath *field.Path, state v1.InterfaceState, d linkstate.Dialect) finding.Finding {
	return finding.Deny(finding.RuleValue, field.NotSupported(statePath, state, d.LegalValues()))
}
