package mutate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

const msgAliasRewritten = "%q is the %s dialect's spelling; stored as %q, the spelling this cluster uses"

// DefaultStates returns a copy of the spec's interfaces with
//   - D1: an empty state set to the canonical link up, on bindings known to apply link
//     state (bridge, masquerade, supported plugins) — any other binding would then be
//     denied or warned about for a value the user never wrote;
//   - D2: an alias spelling rewritten to the canonical one, with a warning.
//
// Nothing is defaulted in the none dialect (the cluster's KubeVirt has no link state). An
// interface with no binding is not defaulted either: KubeVirt v1.9 rejects it, and older
// releases pick its binding themselves (an empty state is link up anyway).
//
// The spec is not modified. Applying DefaultStates to its own output changes nothing.
func DefaultStates(specPath *field.Path, spec *v1.VirtualMachineInstanceSpec, cfg linkstate.Config) ([]v1.Interface, finding.Findings) {
	ifaces := spec.Domain.Devices.Interfaces
	out := make([]v1.Interface, len(ifaces))
	copy(out, ifaces) // only State is rewritten, so a shallow copy keeps the input intact
	var warnings finding.Findings
	statePaths := specPath.Child("domain", "devices", "interfaces")
	for i := range out {
		meaning, alias := cfg.Dialect.Interpret(out[i].State)
		switch {
		case alias:
			canonical := cfg.Dialect.Canonical(meaning)
			warnings = append(warnings, finding.Warn(finding.RuleAliasRewrite, statePaths.Index(i).Child("state"),
				fmt.Sprintf(msgAliasRewritten, out[i].State, cfg.Dialect.Other(), canonical)))
			out[i].State = canonical
		case meaning == linkstate.MeaningUnset && cfg.Dialect.SupportsLinkState() && cfg.AppliesLinkState(linkstate.ClassifyBinding(&out[i])):
			out[i].State = cfg.Dialect.Up()
		}
	}
	return out, warnings
}
