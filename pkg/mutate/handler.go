package mutate

import (
	"context"

	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// Reviewer is the mutating webhook for one kind (VM or VMI).
type Reviewer struct {
	Kind  linkstate.Kind
	Rules linkstate.Source
}

var _ review.Reviewer = (*Reviewer)(nil)

// Review defaults the states of a VM (create and update) or a VMI (create only: KubeVirt's
// VM controller copies the VM's states into the VMI, and rewriting them on every VMI update
// would fight it). An object being deleted is left alone.
func (r *Reviewer) Review(_ context.Context, req admission.Request) review.Verdict {
	// Defaulting reads only the new object: the old one is not decoded.
	obj, resp, done := review.Object(r.Kind, req)
	switch {
	case done:
		return review.Answer(resp)
	case obj.Deleting:
		return review.Answer(admission.Allowed("being deleted"))
	case req.Operation == admissionv1.Update && r.Kind.GroupKind == linkstate.VirtualMachineInstance.GroupKind:
		return review.Answer(admission.Allowed("VMIs are defaulted on create only"))
	}
	ifaces, fs := DefaultStates(r.Kind.SpecPath, &obj.Spec, r.Rules.Config())
	resp = admission.Patched("", StatePatch(r.Kind, obj.Spec.Domain.Devices.Interfaces, ifaces)...).WithWarnings(fs.Warnings()...)
	return review.Verdict{Response: resp, Findings: fs}
}
