package policy

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Evaluate applies the policies of s that apply to r on top of builtin, the built-in
// rules' findings on the same request, and returns the findings to answer with:
//
//   - each built-in finding, with the effect the Enforce-mode policies' spec.rules give
//     its rule (the strictest of them; none: the built-in effect), plus an audit record
//     for each Audit-mode policy that would give it another;
//   - for each judged interface, at most one L1 and one L2 finding: of all the policies
//     that find against it, the strictest mode wins (Enforce > Warn > Audit), and among
//     equally strict ones the first by name speaks.
//
// With no policy in scope, builtin comes back as it is, without a copy.
func (s *Set) Evaluate(r Request, builtin finding.Findings) finding.Findings {
	if s.Len() == 0 {
		return builtin
	}
	var buf [16]*Policy
	matching := s.matching(buf[:0], &r)
	if len(matching) == 0 {
		return builtin
	}
	out := make(finding.Findings, 0, len(builtin)+2)
	for _, f := range builtin {
		out = override(out, matching, f)
	}
	return judge(out, matching, &r)
}

// override appends f with the effect the policies give its rule, then the audit records.
// Only Enforce-mode policies change an effect, and among them the strictest wins, so two
// policies that disagree deny; a single one may also relax a rule it names (B3, B4, P1,
// T1, T2: the CRD refuses relaxing V1, B1, A1 and A2). A Warn-mode policy's entry changes
// nothing: the built-in rules warn at least already.
func override(out finding.Findings, matching []*Policy, f finding.Finding) finding.Findings {
	builtin := builtinLevel(f)
	final, by := builtin, (*Policy)(nil)
	for _, p := range matching {
		if l, ok := p.rules[f.Rule]; ok && p.Mode == v1alpha1.ModeEnforce && (by == nil || l > final) {
			final, by = l, p
		}
	}
	fld, detail := fieldAndDetail(f)
	if by != nil && final != builtin {
		out = append(out, policyFinding(f.Rule, by, final, fld, detail))
	} else {
		out = append(out, f)
	}
	for _, p := range matching {
		if l, ok := p.rules[f.Rule]; ok && p.Mode == v1alpha1.ModeAudit && l != final {
			out = append(out, auditFinding(f.Rule, p, l, fld, detail))
		}
	}
	return out
}

// fieldAndDetail splits a built-in finding into its field and its text.
func fieldAndDetail(f finding.Finding) (string, string) {
	if f.Err != nil {
		return f.Err.Field, f.Err.Detail
	}
	return f.Field, strings.TrimPrefix(f.Warning, f.Field+": ")
}

// judge appends the policies' own findings (L1, L2) on the interfaces the request changes.
func judge(out finding.Findings, matching []*Policy, r *Request) finding.Findings {
	ifaces := r.Object.Kind.SpecPath.Child("domain", "devices", "interfaces")
	namespace := r.Namespace
	if namespace == "" {
		namespace = r.Object.Namespace
	}
	judged(r, func(i int, iface *v1.Interface, network *v1.Network) {
		m, _ := r.Dialect.Interpret(iface.State)
		if m != linkstate.MeaningDown && m != linkstate.MeaningAbsent {
			return // an empty state, up and invalid values are never a policy's to refuse
		}
		state := ifaces.Index(i).Child("state").String()

		var by *Policy
		strictest := levelNone
		for _, p := range matching {
			if l := modeLevel(p.Mode); !p.allows(m) && l > strictest {
				by, strictest = p, l
			}
		}
		if by != nil {
			detail := fmt.Sprintf(msgStateNotAllowed, iface.State, meaningText(m), by.allowedText)
			out = append(out, policyFinding(finding.RulePolicyState, by, strictest, state, detail))
		}

		by, strictest = nil, levelNone
		var where string
		for _, p := range matching {
			if l := modeLevel(p.Mode); l > strictest {
				if ok, w := p.protection.protects(network, namespace); ok {
					by, strictest, where = p, l, w
				}
			}
		}
		if by != nil {
			detail := fmt.Sprintf(msgProtectedNetwork, iface.Name, where)
			out = append(out, policyFinding(finding.RulePolicyNetwork, by, strictest, state, detail))
		}
	})
	return out
}

// policyFinding is p's finding for rule at fld, with effect l: a denial (Forbidden: the
// value is legal, the policy forbids it), a warning, or an audit record of the denial an
// Enforce-mode policy would have made.
func policyFinding(rule finding.Rule, p *Policy, l level, fld, detail string) finding.Finding {
	var f finding.Finding
	switch l {
	case levelDeny:
		f = finding.Deny(rule, &field.Error{Type: field.ErrorTypeForbidden, Field: fld, Detail: p.text(rule, detail)})
	case levelWarn:
		f = finding.Finding{Rule: rule, Warning: fld + ": " + p.text(rule, detail), Field: fld}
	default:
		return auditFinding(rule, p, levelDeny, fld, detail)
	}
	f.Policy = p.Name
	return f
}

func auditFinding(rule finding.Rule, p *Policy, would level, fld, detail string) finding.Finding {
	return finding.Finding{Rule: rule, Warning: fld + ": " + p.auditText(rule, would, detail), Field: fld, Policy: p.Name, Audited: true}
}
