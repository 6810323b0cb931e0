package validate

import (
	"context"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// Reviewer is the validating webhook for one kind (VM or VMI).
type Reviewer struct {
	Kind  linkstate.Kind
	Rules linkstate.Source
	// Policies are the LinkStatePolicies applied on top of the built-in rules
	// (docs/policy.md); nil applies none.
	Policies policy.Source
}

var _ review.Reviewer = (*Reviewer)(nil)

// Review decodes the request, applies the rules and answers: denied with every field
// error, or allowed with every warning. dryRun requests are answered the same way; there
// is nothing to undo.
func (r *Reviewer) Review(ctx context.Context, req admission.Request) review.Verdict {
	obj, old, resp, done := review.Objects(r.Kind, req)
	if done {
		return review.Answer(resp)
	}
	cfg := r.Rules.Config()
	fs := Object(obj, old, cfg)
	// LinkStatePolicies: the one place they join the built-in rules. Without the policies
	// in force the request is not judged at all (failurePolicy decides), rather than
	// judged by the built-in rules alone.
	fs, err := policy.Apply(ctx, r.Policies, policy.Request{
		Object: obj, Old: old, Namespace: req.Namespace,
		User: req.UserInfo.Username, Groups: req.UserInfo.Groups, Dialect: cfg.Dialect,
	}, fs)
	if err != nil {
		return review.Answer(admission.Errored(http.StatusServiceUnavailable, err))
	}
	if errs := fs.Errors(); len(errs) > 0 {
		resp = review.Invalid(r.Kind, obj.Name, errs).WithWarnings(fs.Warnings()...)
	} else {
		resp = admission.Allowed("").WithWarnings(fs.Warnings()...)
	}
	resp.AuditAnnotations = policy.AuditAnnotations(fs)
	return review.Verdict{Response: resp, Findings: fs}
}
