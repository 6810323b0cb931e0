package migration

import (
	"context"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// Validator is the validating webhook for VirtualMachineInstanceMigrations (rule M2).
type Validator struct {
	Rules   linkstate.Source
	Options Options
}

var _ review.Reviewer = (*Validator)(nil)

// Review implements review.Reviewer.
func (h *Validator) Review(ctx context.Context, req admission.Request) review.Verdict {
	m, old, resp, done := decodeRequest(req)
	switch {
	case done:
		return review.Answer(resp)
	case h.Options.Exempt.Exempt(req.UserInfo):
		return review.Answer(admission.Allowed("exempt identity"))
	}
	var fs finding.Findings
	switch {
	case req.Operation == admissionv1.Update:
		fs = VerifyUpdate(m.Annotations, old.Annotations)
	case !ClaimsStamp(m.Annotations):
	case h.signed(m):
		// Written by the mutating reviewer moments ago: the VMI's status may have changed
		// since, so it is not read again.
	default:
		var want *Stamp
		vmi, err := lookup(ctx, h.Options.VMIs, h.Options.LookupTimeout, m)
		switch {
		case err == nil:
			s := StampOf(vmi, h.Rules.Config().Dialect)
			want = &s
		case !apierrors.IsNotFound(err):
			// A claim that cannot be checked is not accepted; the requester can retry, or
			// leave the annotations to the mutating webhook.
			logf.FromContext(ctx).Error(err, "reading the migration's VMI", "namespace", m.Namespace, "vmi", m.VMIName)
			return review.Answer(admission.Errored(http.StatusInternalServerError,
				fmt.Errorf("cannot check the link-state annotations: reading VMI %q: %w", m.VMIName, err)))
		}
		fs = VerifyCreate(m.Annotations, m.VMIName, want)
	}
	if errs := fs.Errors(); len(errs) > 0 {
		return review.Verdict{Response: review.InvalidFor(Kind, m.Name, errs), Findings: fs}
	}
	return review.Verdict{Response: admission.Allowed(""), Findings: fs}
}

// signed reports whether the migration's stamp carries this service's signature.
func (h *Validator) signed(m *Migration) bool {
	sig, ok := m.Annotations[AnnotationSignature]
	return ok && h.Options.Signer != nil && h.Options.Signer.Verify(m.Namespace, m.VMIName, Claimed(m.Annotations), sig)
}
