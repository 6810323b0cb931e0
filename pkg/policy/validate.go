package policy

import (
	"regexp"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
)

// The CRD's messages (the XValidation markers in api/v1alpha1), repeated here so that
// `check` refuses a policy in the words the API server would use. TestSchemaRejections
// (test/policy) sends every case to both and fails when they disagree.
const (
	msgAllowedStatesEmpty = "allowedStates must list at least one state: [up] allows neither down nor absent; omit allowedStates to allow all three"
	msgRuleUnknown        = "unknown rule ID: rules may name only V1, B1, B3, B4, A1, A2, P1, T1 and T2, the built-in rules whose effect a policy can set"
	msgRuleRelaxed        = "V1, B1, A1 and A2 cannot be relaxed: they always deny, because KubeVirt would reject or mishandle what they refuse; set them to Deny or leave them out"
	msgNetworkEmpty       = "an empty entry protects nothing: name pod (the default network) or a Multus network (name, or namespace/name)"
	msgNetworkName        = " must be pod (the default network) or a Multus network as a networkName names it: name (in the namespace of the VM) or namespace/name, in lower case"
	msgLabelKey           = " must be a label key: an optional DNS subdomain prefix and /, then at most 63 characters of letters, digits, -, _ and ., starting and ending with a letter or digit"
	msgLabelValue         = " must be a label value: at most 63 characters of letters, digits, -, _ and ., starting and ending with a letter or digit"
	msgEmptyString        = "should be at least 1 chars long"
)

// The patterns of the CRD's rules, in Go's syntax (the same RE2 dialect CEL uses).
var (
	networkNamePattern = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
	labelKeyPattern    = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	labelValuePattern  = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)
)

// The bounds of the CRD's schema.
const (
	maxAllowedStates     = 3
	maxProtectedNetworks = 64
	maxNetworkName       = 317
	maxRules             = 9
	maxExempt            = 256
	maxExemptName        = 512
	maxMessage           = 1024
	maxMatchLabels       = 64
	maxMatchExpressions  = 64
	maxSelectorValues    = 256
	maxLabelKey          = 317
	maxLabelValue        = 63
)

// RuleIDs are the built-in rules a policy's spec.rules may name, and Unrelaxable those
// that must stay Deny: KubeVirt rejects or mishandles what they refuse.
var (
	RuleIDs     = []string{"V1", "B1", "B3", "B4", "A1", "A2", "P1", "T1", "T2"}
	Unrelaxable = []string{"V1", "B1", "A1", "A2"}
)

// Validate checks a policy as the CRD's schema does (OpenAPI and CEL), so `check` refuses
// what the API server would refuse when the policy is written. A policy read from the API
// server has passed this already.
func Validate(p *v1alpha1.LinkStatePolicy) field.ErrorList {
	spec := field.NewPath("spec")
	s := &p.Spec
	var errs field.ErrorList
	switch s.Mode {
	case "", v1alpha1.ModeEnforce, v1alpha1.ModeWarn, v1alpha1.ModeAudit:
	default:
		errs = append(errs, field.NotSupported(spec.Child("mode"), s.Mode, []string{"Enforce", "Warn", "Audit"}))
	}
	errs = append(errs, validateSelector(spec.Child("namespaceSelector"), s.NamespaceSelector)...)
	errs = append(errs, validateSelector(spec.Child("objectSelector"), s.ObjectSelector)...)
	errs = append(errs, validateAllowedStates(spec.Child("allowedStates"), s.AllowedStates)...)
	errs = append(errs, validateNetworks(spec.Child("protectedNetworks"), s.ProtectedNetworks)...)
	errs = append(errs, validateRules(spec.Child("rules"), s.Rules)...)
	if s.Exemptions != nil {
		errs = append(errs, validateNames(spec.Child("exemptions", "users"), s.Exemptions.Users)...)
		errs = append(errs, validateNames(spec.Child("exemptions", "groups"), s.Exemptions.Groups)...)
	}
	if len(s.Message) > maxMessage {
		errs = append(errs, field.TooLong(spec.Child("message"), "", maxMessage))
	}
	return errs
}

func validateAllowedStates(fld *field.Path, states []v1alpha1.State) field.ErrorList {
	var errs field.ErrorList
	if states != nil && len(states) == 0 {
		errs = append(errs, field.Invalid(fld, "array", msgAllowedStatesEmpty))
	}
	if len(states) > maxAllowedStates {
		errs = append(errs, field.TooMany(fld, len(states), maxAllowedStates))
	}
	for i, s := range states {
		switch s {
		case v1alpha1.StateUp, v1alpha1.StateDown, v1alpha1.StateAbsent:
		default:
			errs = append(errs, field.NotSupported(fld.Index(i), s, []string{"up", "down", "absent"}))
		}
	}
	return append(errs, duplicates(fld, states)...)
}

func validateNetworks(fld *field.Path, networks []v1alpha1.NetworkName) field.ErrorList {
	var errs field.ErrorList
	if len(networks) > maxProtectedNetworks {
		errs = append(errs, field.TooMany(fld, len(networks), maxProtectedNetworks))
	}
	for i, n := range networks {
		switch {
		case len(n) > maxNetworkName:
			errs = append(errs, field.TooLong(fld.Index(i), "", maxNetworkName))
		case n == "":
			errs = append(errs, field.Invalid(fld.Index(i), "string", msgNetworkEmpty))
		case !networkNamePattern.MatchString(string(n)):
			errs = append(errs, field.Invalid(fld.Index(i), "string", "'"+string(n)+"'"+msgNetworkName))
		}
	}
	return append(errs, duplicates(fld, networks)...)
}

func validateRules(fld *field.Path, rules map[string]v1alpha1.Effect) field.ErrorList {
	var errs field.ErrorList
	if len(rules) > maxRules {
		errs = append(errs, field.TooMany(fld, len(rules), maxRules))
	}
	unknown, relaxed := false, false
	for _, id := range sets.List(sets.KeySet(rules)) {
		effect := rules[id]
		switch effect {
		case v1alpha1.EffectDeny, v1alpha1.EffectWarn:
		default:
			// The API server names a map value by a path element here (spec.rules.P1).
			errs = append(errs, field.NotSupported(fld.Child(id), effect, []string{"Deny", "Warn"}))
		}
		unknown = unknown || !slices.Contains(RuleIDs, id)
		relaxed = relaxed || (slices.Contains(Unrelaxable, id) && effect != v1alpha1.EffectDeny)
	}
	// The CRD's rules are on the map as a whole, so each is reported once.
	if unknown {
		errs = append(errs, field.Invalid(fld, "object", msgRuleUnknown))
	}
	if relaxed {
		errs = append(errs, field.Invalid(fld, "object", msgRuleRelaxed))
	}
	return errs
}

func validateNames(fld *field.Path, names []string) field.ErrorList {
	var errs field.ErrorList
	if len(names) > maxExempt {
		errs = append(errs, field.TooMany(fld, len(names), maxExempt))
	}
	for i, n := range names {
		switch {
		case n == "":
			errs = append(errs, field.Invalid(fld.Index(i), n, msgEmptyString))
		case len(n) > maxExemptName:
			errs = append(errs, field.TooLong(fld.Index(i), "", maxExemptName))
		}
	}
	return append(errs, duplicates(fld, names)...)
}

func validateSelector(fld *field.Path, sel *v1alpha1.LabelSelector) field.ErrorList {
	if sel == nil {
		return nil
	}
	var errs field.ErrorList
	if len(sel.MatchLabels) > maxMatchLabels {
		errs = append(errs, field.TooMany(fld.Child("matchLabels"), len(sel.MatchLabels), maxMatchLabels))
	}
	for _, k := range sets.List(sets.KeySet(sel.MatchLabels)) {
		errs = append(errs, validateLabelValue(fld.Child("matchLabels").Key(k), sel.MatchLabels[k])...)
	}
	exprs := fld.Child("matchExpressions")
	if len(sel.MatchExpressions) > maxMatchExpressions {
		errs = append(errs, field.TooMany(exprs, len(sel.MatchExpressions), maxMatchExpressions))
	}
	for i, r := range sel.MatchExpressions {
		at := exprs.Index(i)
		switch {
		case len(r.Key) > maxLabelKey:
			errs = append(errs, field.TooLong(at.Child("key"), "", maxLabelKey))
		case !validLabelKey(r.Key):
			errs = append(errs, field.Invalid(at.Child("key"), "string", "'"+r.Key+"'"+msgLabelKey))
		}
		switch r.Operator {
		case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn:
			if len(r.Values) == 0 {
				errs = append(errs, field.Invalid(at, "object", "operator "+string(r.Operator)+" needs at least one value"))
			}
		case metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist:
			if len(r.Values) > 0 {
				errs = append(errs, field.Invalid(at, "object", "operator "+string(r.Operator)+" takes no values"))
			}
		default:
			errs = append(errs, field.NotSupported(at.Child("operator"), r.Operator, []string{"In", "NotIn", "Exists", "DoesNotExist"}))
		}
		if len(r.Values) > maxSelectorValues {
			errs = append(errs, field.TooMany(at.Child("values"), len(r.Values), maxSelectorValues))
		}
		for j, v := range r.Values {
			errs = append(errs, validateLabelValue(at.Child("values").Index(j), v)...)
		}
	}
	return errs
}

func validLabelKey(k string) bool {
	prefix, _, hasPrefix := strings.Cut(k, "/")
	return labelKeyPattern.MatchString(k) && (!hasPrefix || len(prefix) <= 253)
}

func validateLabelValue(fld *field.Path, v v1alpha1.LabelValue) field.ErrorList {
	switch {
	case len(v) > maxLabelValue:
		return field.ErrorList{field.TooLong(fld, "", maxLabelValue)}
	case !labelValuePattern.MatchString(string(v)):
		return field.ErrorList{field.Invalid(fld, "string", "'"+string(v)+"'"+msgLabelValue)}
	}
	return nil
}

// duplicates reports the repeated items of a list the CRD declares a set.
func duplicates[T comparable](fld *field.Path, items []T) field.ErrorList {
	var errs field.ErrorList
	seen := make(map[T]bool, len(items))
	for i, it := range items {
		if seen[it] {
			errs = append(errs, field.Duplicate(fld.Index(i), it))
		}
		seen[it] = true
	}
	return errs
}
