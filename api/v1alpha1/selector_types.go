package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LabelSelector is metav1.LabelSelector — the same fields, the same meaning — with bounds
// on its sizes, which let the API server check each requirement when the policy is
// written: CEL rules on an unbounded list exceed the API server's cost budget, and
// metav1.LabelSelector's own schema carries no checks. Convert it with Meta.
//
// matchLabels keys are the one thing the schema cannot check (a map key has no length
// bound for CEL's cost estimate): a key that is not a label key is reported in the
// policy's Ready condition, and selects nothing, since no object can carry such a label.
type LabelSelector struct {
	// MatchLabels are labels the object must have, with these values.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	MatchLabels map[string]LabelValue `json:"matchLabels,omitempty"`
	// MatchExpressions are requirements the object's labels must all meet.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is metav1.LabelSelectorRequirement, checked.
//
// +kubebuilder:validation:XValidation:rule="!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",messageExpression="'operator ' + self.operator + ' needs at least one value'"
// +kubebuilder:validation:XValidation:rule="!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",messageExpression="'operator ' + self.operator + ' takes no values'"
type LabelSelectorRequirement struct {
	// Key is the label key: an optional DNS subdomain prefix and "/", then a name of at
	// most 63 characters.
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="self.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!self.contains('/') || self.split('/', 2)[0].size() <= 253)",messageExpression=`"'" + self + "' must be a label key: an optional DNS subdomain prefix and /, then at most 63 characters of letters, digits, -, _ and ., starting and ending with a letter or digit"`
	Key string `json:"key"`
	// Operator is In, NotIn, Exists or DoesNotExist.
	// +kubebuilder:validation:Enum=In;NotIn;Exists;DoesNotExist
	Operator metav1.LabelSelectorOperator `json:"operator"`
	// Values are label values: at least one for In and NotIn, none for Exists and
	// DoesNotExist.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Values []LabelValue `json:"values,omitempty"`
}

// LabelValue is a label value: at most 63 characters of letters, digits, -, _ and .,
// starting and ending with a letter or digit, or empty.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="self.matches('^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$')",messageExpression=`"'" + self + "' must be a label value: at most 63 characters of letters, digits, -, _ and ., starting and ending with a letter or digit"`
type LabelValue string

// Meta is the selector as metav1.LabelSelector; nil stays nil.
func (s *LabelSelector) Meta() *metav1.LabelSelector {
	if s == nil {
		return nil
	}
	out := &metav1.LabelSelector{}
	if s.MatchLabels != nil {
		out.MatchLabels = make(map[string]string, len(s.MatchLabels))
		for k, v := range s.MatchLabels {
			out.MatchLabels[k] = string(v)
		}
	}
	for _, r := range s.MatchExpressions {
		req := metav1.LabelSelectorRequirement{Key: r.Key, Operator: r.Operator}
		for _, v := range r.Values {
			req.Values = append(req.Values, string(v))
		}
		out.MatchExpressions = append(out.MatchExpressions, req)
	}
	return out
}
