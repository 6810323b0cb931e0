package review

import (
	"context"
	"fmt"
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Migrations reads the VMIM of a request and, on UPDATE, the old one; like Objects, it
// answers requests it cannot or need not judge (done is true).
func Migrations(req admission.Request) (m, old *linkstate.Migration, resp admission.Response, done bool) {
	if resp, done = screen(linkstate.VirtualMachineInstanceMigrationKind, req); done {
		return nil, nil, resp, true
	}
	m, err := linkstate.DecodeMigration(req.Object.Raw)
	if err != nil {
		return nil, nil, admission.Errored(http.StatusBadRequest, err), true
	}
	if m.Namespace == "" {
		// The VMI is looked up in the migration's namespace, which the request always names.
		m.Namespace = req.Namespace
	}
	if req.Operation == admissionv1.Update {
		if old, err = linkstate.DecodeMigration(req.OldObject.Raw); err != nil {
			return nil, nil, admission.Errored(http.StatusBadRequest, fmt.Errorf("old object: %w", err)), true
		}
	}
	return m, old, admission.Response{}, false
}

// LookupVMI reads the VMI a migration names within timeout, so a slow API server turns
// into an error this service reports rather than the API server's webhook timeout.
func LookupVMI(ctx context.Context, vmis VMIGetter, timeout time.Duration, m *linkstate.Migration) (*linkstate.Object, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	vmi, err := vmis.GetVMI(ctx, m.Namespace, m.VMIName)
	switch {
	case err == nil:
		RecordLookup("found")
	case apierrors.IsNotFound(err):
		RecordLookup("not_found")
	default:
		RecordLookup("error")
	}
	return vmi, err
}
