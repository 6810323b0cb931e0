package validate

import (
	"context"
	"fmt"
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// MigrationHandler is the validating webhook for VirtualMachineInstanceMigrations (M2).
type MigrationHandler struct {
	Config        linkstate.Config
	VMIs          review.VMIGetter
	LookupTimeout time.Duration
	Exempt        Exemptions
	// Name labels this webhook in metrics.
	Name string
}

var _ admission.Handler = (*MigrationHandler)(nil)

// Handle implements admission.Handler.
func (h *MigrationHandler) Handle(ctx context.Context, req admission.Request) admission.Response {
	resp := h.handle(ctx, req)
	review.RecordDecision(h.Name, string(req.Operation), outcome(resp))
	return resp
}

func (h *MigrationHandler) handle(ctx context.Context, req admission.Request) admission.Response {
	m, old, resp, done := review.Migrations(req)
	switch {
	case done:
		return resp
	case h.Exempt.Exempt(req.UserInfo):
		return admission.Allowed("exempt identity")
	}
	var fs Findings
	if req.Operation == admissionv1.Update {
		fs = MigrationUpdate(m.Annotations, old.Annotations)
	} else if HasStamp(m.Annotations) {
		var stamp map[string]string
		vmi, err := review.LookupVMI(ctx, h.VMIs, h.LookupTimeout, m)
		switch {
		case err == nil:
			stamp = linkstate.MigrationStamp(vmi, h.Config.Dialect)
		case !apierrors.IsNotFound(err):
			// A claim that cannot be checked is not accepted; the requester can retry, or
			// leave the annotations to the mutating webhook.
			logf.FromContext(ctx).Error(err, "reading the migration's VMI", "namespace", m.Namespace, "vmi", m.VMIName)
			return admission.Errored(http.StatusInternalServerError,
				fmt.Errorf("cannot check the link-state annotations: reading VMI %q: %w", m.VMIName, err))
		}
		fs = MigrationCreate(m.Annotations, m.VMIName, stamp)
	}
	for _, f := range fs {
		review.RecordFinding(string(f.Rule), "deny")
	}
	if errs := fs.Errors(); len(errs) > 0 {
		logf.FromContext(ctx).Info("denied", "errors", errs.ToAggregate().Error())
		return review.InvalidFor(linkstate.VirtualMachineInstanceMigrationKind, m.Name, errs)
	}
	return admission.Allowed("")
}
