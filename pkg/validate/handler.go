package validate

import (
	"context"

	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// Handler is the validating webhook for one kind (VM or VMI).
type Handler struct {
	Kind   linkstate.Kind
	Config linkstate.Config
	// Name labels this webhook in metrics.
	Name string
}

var _ admission.Handler = (*Handler)(nil)

// Handle decodes the request, applies the rules and answers: denied with every field
// error, or allowed with every warning. dryRun requests are answered the same way; there
// is nothing to undo.
func (h *Handler) Handle(ctx context.Context, req admission.Request) admission.Response {
	obj, old, resp, done := review.Objects(h.Kind, req)
	if done {
		h.record(req, resp)
		return resp
	}
	fs := Object(obj, old, h.Config)
	for _, f := range fs {
		effect := "warn"
		if f.Err != nil {
			effect = "deny"
		}
		review.RecordFinding(string(f.Rule), effect)
	}
	if errs := fs.Errors(); len(errs) > 0 {
		// controller-runtime's request logger already names the object, kind and user.
		logf.FromContext(ctx).Info("denied", "errors", errs.ToAggregate().Error())
		resp = review.Invalid(h.Kind, obj.Name, errs).WithWarnings(fs.Warnings()...)
	} else {
		resp = admission.Allowed("").WithWarnings(fs.Warnings()...)
	}
	h.record(req, resp)
	return resp
}

func (h *Handler) record(req admission.Request, resp admission.Response) {
	review.RecordDecision(h.Name, string(req.Operation), outcome(resp))
}

func outcome(resp admission.Response) string {
	switch {
	case resp.Allowed && len(resp.Warnings) > 0:
		return review.OutcomeWarned
	case resp.Allowed:
		return review.OutcomeAllowed
	case resp.Result != nil && resp.Result.Code == 422:
		return review.OutcomeDenied
	}
	return review.OutcomeErrored
}
