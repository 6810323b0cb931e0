package audit

import (
	"cmp"
	"slices"
	"strings"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
)

// Outcome is an OpenReports result value. The scanner writes only the two that mean a
// violation: a standing object that passes every rule gets no Report at all.
type Outcome string

const (
	// Fail is what an Enforce-level rule would deny if the object were written now.
	Fail Outcome = "fail"
	// Warn is what admission would let through with a warning.
	Warn Outcome = "warn"
)

// BuiltinPolicy is the policy name of the built-in rules' results.
const BuiltinPolicy = "builtin"

// Result is one finding against one standing object, in the words a Report carries.
type Result struct {
	// Policy is BuiltinPolicy or the name of the LinkStatePolicy that found it.
	Policy string
	// Rule is the rule ID (V1, B1, …) or the policy's own rule.
	Rule string
	// Result is Fail or Warn.
	Result Outcome
	// Message is what admission says for the same finding: the field error
	// ("spec…interfaces[1].state: Invalid value: …") or the warning, verbatim.
	Message string
	// Field is the path of the field the finding is about, when known.
	Field string
}

// FromFindings turns the findings of one object into results: denials fail, warnings
// warn, and an Audit-mode policy's record is what it would do if enforced. A finding a
// LinkStatePolicy gave is that policy's; the others are policy's (BuiltinPolicy).
// Findings without a text (none today) are skipped rather than reported empty.
func FromFindings(policy string, fs finding.Findings) []Result {
	out := make([]Result, 0, len(fs))
	for _, f := range fs {
		r := Result{Policy: policy, Rule: string(f.Rule)}
		if f.Policy != "" {
			r.Policy = f.Policy
		}
		switch {
		case f.Err != nil:
			r.Result, r.Message, r.Field = Fail, f.Err.Error(), f.Err.Field
		case f.Warning != "":
			r.Result, r.Message = Warn, f.Warning
			if f.Audited {
				var ok bool
				if r.Result, ok = auditedOutcome(f); !ok {
					continue
				}
			}
			// A warning starts with its field's path (see finding.Warn).
			r.Field = f.Field
			if fld, _, ok := strings.Cut(f.Warning, ": "); ok && r.Field == "" {
				r.Field = fld
			}
		default:
			continue
		}
		out = append(out, r)
	}
	return out
}

// Sorted orders results the way a Report lists them: by policy, rule, field, then
// message, so the same findings always give the same bytes (and hash).
func Sorted(rs []Result) []Result {
	slices.SortFunc(rs, func(a, b Result) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Field, b.Field), cmp.Compare(a.Message, b.Message), cmp.Compare(a.Result, b.Result))
	})
	return rs
}
