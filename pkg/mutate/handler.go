package mutate

import (
	"context"

	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// Handler is the mutating webhook for one kind (VM or VMI).
type Handler struct {
	Kind   linkstate.Kind
	Config linkstate.Config
	// Name labels this webhook in metrics.
	Name string
}

var _ admission.Handler = (*Handler)(nil)

// Handle defaults the states of a VM (create and update) or a VMI (create only: KubeVirt's
// VM controller copies the VM's states into the VMI, and rewriting them on every VMI update
// would fight it). An object being deleted is left alone.
func (h *Handler) Handle(_ context.Context, req admission.Request) admission.Response {
	// Defaulting reads only the new object: the old one is not decoded.
	obj, resp, done := review.Object(h.Kind, req)
	switch {
	case done:
	case obj.Deleting:
		resp = admission.Allowed("being deleted")
	case req.Operation == admissionv1.Update && h.Kind.GroupKind == linkstate.VirtualMachineInstance.GroupKind:
		resp = admission.Allowed("VMIs are defaulted on create only")
	default:
		ifaces, warnings := DefaultStates(h.Kind.SpecPath, &obj.Spec, h.Config)
		resp = admission.Patched("", StatePatch(h.Kind, obj.Spec.Domain.Devices.Interfaces, ifaces)...).WithWarnings(warnings...)
	}
	review.RecordDecision(h.Name, string(req.Operation), outcome(resp))
	return resp
}

func outcome(resp admission.Response) string {
	switch {
	case !resp.Allowed:
		return review.OutcomeErrored
	case len(resp.Patches) > 0:
		return review.OutcomePatched
	case len(resp.Warnings) > 0:
		return review.OutcomeWarned
	}
	return review.OutcomeAllowed
}
