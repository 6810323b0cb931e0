package validate

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Rule is the identifier of a rule in DESIGN.md's table, used in metrics and logs.
type Rule string

const (
	RuleValue             Rule = "V1"
	RuleSRIOV             Rule = "B1"
	RulePasstBinding      Rule = "B3"
	RuleBindingPlugin     Rule = "B4"
	RuleAbsentBinding     Rule = "A1"
	RuleAbsentDefault     Rule = "A2"
	RuleDefaultNetDown    Rule = "P1"
	RuleAbsentIsFinal     Rule = "T1"
	RuleHotplugNotBridged Rule = "T2"
	RuleMigrationStamp    Rule = "M2"
)

// Finding is one rule's verdict on one field: a denial (Err) or a warning.
type Finding struct {
	Rule Rule
	// Err is set when the finding denies the request.
	Err *field.Error
	// Warning is set when the finding only warns. It starts with the field path, because an
	// admission warning is a bare string.
	Warning string
}

// Findings are all the verdicts on one object, in field order.
type Findings []Finding

func deny(rule Rule, err *field.Error) Finding {
	return Finding{Rule: rule, Err: err}
}

func warn(rule Rule, fld *field.Path, message string) Finding {
	return Finding{Rule: rule, Warning: fld.String() + ": " + message}
}

// Errors are the denials, in the form apierrors.NewInvalid takes.
func (fs Findings) Errors() field.ErrorList {
	var errs field.ErrorList
	for _, f := range fs {
		if f.Err != nil {
			errs = append(errs, f.Err)
		}
	}
	return errs
}

// Warnings are the warning texts, for the admission response.
func (fs Findings) Warnings() []string {
	var ws []string
	for _, f := range fs {
		if f.Err == nil && f.Warning != "" {
			ws = append(ws, f.Warning)
		}
	}
	return ws
}
