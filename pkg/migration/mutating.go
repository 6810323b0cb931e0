package migration

import (
	"context"
	"fmt"
	"net/http"
	"sort"

	"github.com/go-openapi/jsonpointer"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// Mutator is the mutating webhook for VirtualMachineInstanceMigrations (rule M1): on
// create it stamps the link states of the VMI being migrated, signed, so the target can
// apply them, whatever the requester put in those annotations.
type Mutator struct {
	Rules   linkstate.Source
	Options Options
}

var _ review.Reviewer = (*Mutator)(nil)

// Review implements review.Reviewer.
func (h *Mutator) Review(ctx context.Context, req admission.Request) review.Verdict {
	m, _, resp, done := decodeRequest(req)
	switch {
	case done:
		return review.Answer(resp)
	case req.Operation != admissionv1.Create:
		return review.Answer(admission.Allowed("migrations are stamped on create only"))
	case m.VMIName == "":
		return review.Answer(admission.Allowed("no spec.vmiName: nothing to stamp"))
	}
	vmi, err := lookup(ctx, h.Options.VMIs, h.Options.LookupTimeout, m)
	switch {
	case apierrors.IsNotFound(err):
		return review.Answer(admission.Allowed("").WithWarnings(fmt.Sprintf(msgVMINotFound, m.VMIName, m.Namespace)))
	case err != nil:
		logf.FromContext(ctx).Error(err, "reading the migration's VMI", "namespace", m.Namespace, "vmi", m.VMIName)
		if h.Options.LookupFailure == linkstate.ActionDeny {
			return review.Answer(admission.Errored(http.StatusInternalServerError, fmt.Errorf("reading VMI %q to stamp its link states: %w", m.VMIName, err)))
		}
		return review.Answer(admission.Allowed("").WithWarnings(fmt.Sprintf(msgVMIUnread, m.VMIName, err)))
	}
	stamp := StampOf(vmi, h.Rules.Config().Dialect)
	want := stamp.Annotations()
	var remove []string
	if h.Options.Signer != nil {
		sig, err := h.Options.Signer.Sign(m.Namespace, m.VMIName, stamp)
		if err != nil {
			// Unsigned, the stamp is checked against the VMI instead: still safe, only
			// exposed to a status write between the two webhook calls.
			logf.FromContext(ctx).Error(err, "signing the migration stamp", "namespace", m.Namespace, "vmi", m.VMIName)
		} else {
			want[AnnotationSignature] = sig
		}
	}
	if _, ok := want[AnnotationSignature]; !ok {
		remove = append(remove, AnnotationSignature) // never keep a signature someone else wrote
	}
	return review.Answer(admission.Patched("", AnnotationPatch(m.Annotations, want, remove)...))
}

// AnnotationPatch sets annotations to the wanted values and removes the listed keys,
// touching nothing else: one add of the whole map when the object has no annotations,
// else one add per key whose value differs (add replaces an existing member) and one
// remove per listed key present. Only keys this service owns are ever removed.
func AnnotationPatch(current, want map[string]string, remove []string) []jsonpatch.Operation {
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
			ops = append(ops, jsonpatch.Operation{Operation: "add", Path: annotationPointer(k), Value: want[k]})
		}
	}
	for _, k := range remove {
		if _, ok := current[k]; ok {
			ops = append(ops, jsonpatch.Operation{Operation: "remove", Path: annotationPointer(k)})
		}
	}
	return ops
}

func annotationPointer(key string) string { return "/metadata/annotations/" + jsonpointer.Escape(key) }
