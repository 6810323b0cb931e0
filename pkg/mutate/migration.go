package mutate

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/go-openapi/jsonpointer"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

const (
	msgVMINotFound = "VMI %q not found in namespace %q: link states are not stamped on this migration"
	msgVMIUnread   = "could not read VMI %q: link states are not stamped on this migration: %v"
)

// MigrationHandler is the mutating webhook for VirtualMachineInstanceMigrations (rule M1):
// on create it stamps the link states of the VMI being migrated, so the target can apply
// them, whatever the requester put in those annotations.
type MigrationHandler struct {
	Config linkstate.Config
	VMIs   review.VMIGetter
	// LookupTimeout bounds the VMI read; keep it well under the webhook's timeoutSeconds.
	LookupTimeout time.Duration
	// LookupFailure decides what a failed VMI read (other than not found) does: warn lets
	// the migration through unstamped — the VMI spec still holds the desired states — and
	// deny refuses it.
	LookupFailure linkstate.Action
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
	m, _, resp, done := review.Migrations(req)
	switch {
	case done:
		return resp
	case req.Operation != admissionv1.Create:
		return admission.Allowed("migrations are stamped on create only")
	case m.VMIName == "":
		return admission.Allowed("no spec.vmiName: nothing to stamp")
	}
	vmi, err := review.LookupVMI(ctx, h.VMIs, h.LookupTimeout, m)
	switch {
	case apierrors.IsNotFound(err):
		return admission.Allowed("").WithWarnings(fmt.Sprintf(msgVMINotFound, m.VMIName, m.Namespace))
	case err != nil:
		logf.FromContext(ctx).Error(err, "reading the migration's VMI", "namespace", m.Namespace, "vmi", m.VMIName)
		if h.LookupFailure == linkstate.ActionDeny {
			return admission.Errored(http.StatusInternalServerError, fmt.Errorf("reading VMI %q to stamp its link states: %w", m.VMIName, err))
		}
		return admission.Allowed("").WithWarnings(fmt.Sprintf(msgVMIUnread, m.VMIName, err))
	}
	return admission.Patched("", AnnotationPatch(m.Annotations, linkstate.MigrationStamp(vmi, h.Config.Dialect))...)
}

// AnnotationPatch sets annotations to the wanted values, touching only those keys: one
// add of the whole map when the object has no annotations, else one add per key whose
// value differs (add replaces an existing member). Nothing is removed.
func AnnotationPatch(current, want map[string]string) []jsonpatch.Operation {
	if current == nil {
		return []jsonpatch.Operation{{Operation: "add", Path: "/metadata/annotations", Value: want}}
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ops []jsonpatch.Operation
	for _, k := range keys {
		if v, ok := current[k]; !ok || v != want[k] {
			ops = append(ops, jsonpatch.Operation{Operation: "add", Path: "/metadata/annotations/" + jsonpointer.Escape(k), Value: want[k]})
		}
	}
	return ops
}
