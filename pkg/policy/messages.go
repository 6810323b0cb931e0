package policy

import (
	"fmt"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The texts of policy findings. Each names the policy and the rule, says what is wrong and
// why, and ends with the policy's own message, so a tenant knows whom to ask.
const (
	msgStateNotAllowed  = "state %q (%s) is not among the states this policy allows: %s"
	msgProtectedNetwork = "interface %q is on %s: its link may be neither taken down nor unplugged"
)

// meaningText names what a state asks for, for messages.
func meaningText(m linkstate.Meaning) string {
	if m == linkstate.MeaningAbsent {
		return "hot-unplug"
	}
	return "link down"
}

// text is a denial or warning of p for rule: `LinkStatePolicy "p": RULE: detail; message`.
func (p *Policy) text(rule finding.Rule, detail string) string {
	return p.withMessage(fmt.Sprintf("LinkStatePolicy %q: %s: %s", p.Name, rule, detail))
}

// auditText is an audit record: what the finding would have done had p been enforced.
func (p *Policy) auditText(rule finding.Rule, would level, detail string) string {
	return p.withMessage(fmt.Sprintf("LinkStatePolicy %q (Audit): %s would %s: %s", p.Name, rule, would.verb(), detail))
}

func (p *Policy) withMessage(s string) string {
	if p.message == "" {
		return s
	}
	return s + "; " + p.message
}
