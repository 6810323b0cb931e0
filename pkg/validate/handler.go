package validate

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// Reviewer is the validating webhook for one kind (VM or VMI).
type Reviewer struct {
	Kind   linkstate.Kind
	Config linkstate.Config
}

var _ review.Reviewer = (*Reviewer)(nil)

// Review decodes the request, applies the rules and answers: denied with every field
// error, or allowed with every warning. dryRun requests are answered the same way; there
// is nothing to undo.
func (r *Reviewer) Review(_ context.Context, req admission.Request) review.Verdict {
	obj, old, resp, done := review.Objects(r.Kind, req)
	if done {
		return review.Answer(resp)
	}
	fs := Object(obj, old, r.Config)
	if errs := fs.Errors(); len(errs) > 0 {
		resp = review.Invalid(r.Kind, obj.Name, errs).WithWarnings(fs.Warnings()...)
	} else {
		resp = admission.Allowed("").WithWarnings(fs.Warnings()...)
	}
	return review.Verdict{Response: resp, Findings: fs}
}
