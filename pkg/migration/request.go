package migration

import (
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// decodeRequest reads the VMIM of a request and, on UPDATE, the old one; like
// review.Objects, it answers requests it cannot or need not judge (done is true).
func decodeRequest(req admission.Request) (m, old *Migration, resp admission.Response, done bool) {
	if resp, done = review.Screen(Kind, req); done {
		return nil, nil, resp, true
	}
	m, err := Decode(req.Object.Raw)
	if err != nil {
		return nil, nil, admission.Errored(http.StatusBadRequest, err), true
	}
	if m.Namespace == "" {
		// The VMI is looked up in the migration's namespace, which the request always names.
		m.Namespace = req.Namespace
	}
	if req.Operation == admissionv1.Update {
		if old, err = Decode(req.OldObject.Raw); err != nil {
			return nil, nil, admission.Errored(http.StatusBadRequest, fmt.Errorf("old object: %w", err)), true
		}
	}
	return m, old, admission.Response{}, false
}
