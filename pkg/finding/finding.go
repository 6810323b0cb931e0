// Package finding is what every rule of linkstate-webhook reports: the rule's ID and either
// a denial (a field error) or a warning. A finding carries its rule ID from the pure rule
// to the denial, the warning, the metric and the log line, so an operator can always tell
// which rule of the README's tables spoke.
package finding

import "k8s.io/apimachinery/pkg/util/validation/field"

// Finding is one rule's verdict on one field: a denial (Err) or a warning.
type Finding struct {
	Rule Rule
	// Err is set when the finding denies the request.
	Err *field.Error
	// Warning is set when the finding only warns. It starts with the field path, because an
	// admission warning is a bare string.
	Warning string
	// Field is the path of the field a warning is about (Warning starts with it), so a
	// LinkStatePolicy can turn the warning into a denial of the same field.
	Field string
	// Policy names the LinkStatePolicy that gave the finding its effect (docs/policy.md);
	// empty when the built-in rules did.
	Policy string
	// Audited marks the finding of an Audit-mode LinkStatePolicy: recorded (Warning holds
	// its text), neither a denial nor a warning.
	Audited bool
}

// Findings are all the verdicts on one object, in field order.
type Findings []Finding

// Deny is a finding that denies the request with err.
func Deny(rule Rule, err *field.Error) Finding {
	return Finding{Rule: rule, Err: err}
}

// Warn is a finding that lets the request through with a warning about fld.
func Warn(rule Rule, fld *field.Path, message string) Finding {
	return Finding{Rule: rule, Warning: fld.String() + ": " + message, Field: fld.String()}
}

// Denies reports whether the finding denies the request.
func (f Finding) Denies() bool { return f.Err != nil }

// Effect is "deny", "warn" or "audit", as metrics label it.
func (f Finding) Effect() string {
	switch {
	case f.Denies():
		return EffectDeny
	case f.Audited:
		return EffectAudit
	}
	return EffectWarn
}

// The effects of a finding, as metrics and logs name them.
const (
	EffectDeny  = "deny"
	EffectWarn  = "warn"
	EffectAudit = "audit"
)

// Errors are the denials, in the form apierrors.NewInvalid takes.
func (fs Findings) Errors() field.ErrorList {
	var errs field.ErrorList
	for _, f := range fs {
		if f.Denies() {
			errs = append(errs, f.Err)
		}
	}
	return errs
}

// Warnings are the warning texts, for the admission response.
func (fs Findings) Warnings() []string {
	var ws []string
	for _, f := range fs {
		if !f.Denies() && !f.Audited && f.Warning != "" {
			ws = append(ws, f.Warning)
		}
	}
	return ws
}

// Audits are the texts of the audited findings, for the audit log.
func (fs Findings) Audits() []string {
	var as []string
	for _, f := range fs {
		if f.Audited {
			as = append(as, f.Warning)
		}
	}
	return as
}
