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
	k := linkstate.VirtualMachineInstanceMigrationKind
	switch {
	case req.Kind.Group != k.Group || req.Kind.Kind != k.Kind:
		return nil, nil, admission.Errored(http.StatusBadRequest, fmt.Errorf(
			"this endpoint serves %s, not %q: check the webhook configuration's rules and path", k, req.Kind.String())), true
	case req.SubResource != "":
		return nil, nil, admission.Allowed("subresource " + req.SubResource + " is not judged"), true
	case req.Operation != admissionv1.Create && req.Operation != admissionv1.Update:
		return nil, nil, admission.Allowed(string(req.Operation) + " is not judged"), true
	}
	m, err := linkstate.DecodeMigration(req.Object.Raw)
	if err != nil {
		return nil, nil, admission.Errored(http.StatusBadRequest, err), true
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
