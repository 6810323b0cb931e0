package policy

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
)

// ReadyCondition is the Ready condition a policy's status should carry: True (Accepted)
// when the webhook applies it, False (Invalid) with the reason when it cannot, which
// makes the policy apply to nothing.
func ReadyCondition(p *v1alpha1.LinkStatePolicy) metav1.Condition {
	c := metav1.Condition{
		Type:               v1alpha1.ConditionReady,
		Status:             metav1.ConditionTrue,
		Reason:             v1alpha1.ReasonAccepted,
		Message:            "applied by linkstate-webhook to the VMs and VMIs it selects",
		ObservedGeneration: p.Generation,
	}
	if _, err := Compile(p); err != nil {
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, v1alpha1.ReasonInvalid, "not applied: "+err.Error()
	}
	return c
}

// StatusCurrent reports whether p's status already says what ReadyCondition says about
// its current generation, so that every replica may check and only one writes.
func StatusCurrent(p *v1alpha1.LinkStatePolicy, want metav1.Condition) bool {
	have := meta.FindStatusCondition(p.Status.Conditions, want.Type)
	return p.Status.ObservedGeneration == p.Generation && have != nil &&
		have.Status == want.Status && have.Reason == want.Reason && have.Message == want.Message &&
		have.ObservedGeneration == want.ObservedGeneration
}

// WithStatus is a copy of p whose status says want about its current generation.
func WithStatus(p *v1alpha1.LinkStatePolicy, want metav1.Condition) *v1alpha1.LinkStatePolicy {
	out := p.DeepCopy()
	out.Status.ObservedGeneration = p.Generation
	meta.SetStatusCondition(&out.Status.Conditions, want)
	return out
}
