package review

import (
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Object reads the object of a request for kind k. When the request is not one to judge,
// or cannot be read, it returns the response to give instead (done is true): an allowed
// response for operations and subresources this service has no opinion on, an error
// naming the problem for anything malformed.
func Object(k linkstate.Kind, req admission.Request) (obj *linkstate.Object, resp admission.Response, done bool) {
	if resp, done = Screen(k.GroupKind, req); done {
		return nil, resp, true
	}
	obj, err := decoded(k, req.Object)
	if err != nil {
		return nil, admission.Errored(http.StatusBadRequest, err), true
	}
	return obj, admission.Response{}, false
}

// decoded is the object of kind k that ext holds: the decoded one its Object field carries
// when a caller decoded it already (the offline check does; see linkstate.Object), else
// its raw JSON decoded. Reviewers must not modify it.
func decoded(k linkstate.Kind, ext runtime.RawExtension) (*linkstate.Object, error) {
	if obj, ok := ext.Object.(*linkstate.Object); ok && obj != nil && obj.Kind.GroupKind == k.GroupKind {
		return obj, nil
	}
	return k.Decode(ext.Raw)
}

// Screen answers the requests that are not for this endpoint's kind (an error: the webhook
// configuration is wrong) or that this service has no opinion on: subresources, and
// operations other than CREATE and UPDATE.
func Screen(gk schema.GroupKind, req admission.Request) (admission.Response, bool) {
	switch {
	case req.Kind.Group != gk.Group || req.Kind.Kind != gk.Kind:
		return admission.Errored(http.StatusBadRequest, fmt.Errorf(
			"this endpoint serves %s, not %q: check the webhook configuration's rules and path", gk, req.Kind.String())), true
	case req.SubResource != "":
		return admission.Allowed("subresource " + req.SubResource + " is not judged"), true
	case req.Operation != admissionv1.Create && req.Operation != admissionv1.Update:
		return admission.Allowed(string(req.Operation) + " is not judged"), true
	}
	return admission.Response{}, false
}

// Objects is Object, plus the old object on UPDATE.
func Objects(k linkstate.Kind, req admission.Request) (obj, old *linkstate.Object, resp admission.Response, done bool) {
	if obj, resp, done = Object(k, req); done {
		return nil, nil, resp, true
	}
	if req.Operation == admissionv1.Update {
		var err error
		if old, err = decoded(k, req.OldObject); err != nil {
			return nil, nil, admission.Errored(http.StatusBadRequest, fmt.Errorf("old object: %w", err)), true
		}
	}
	return obj, old, admission.Response{}, false
}

// Invalid is the denial for field errors: the same metav1.Status the API server returns
// for its own validation (code 422, reason Invalid, one cause per error), so kubectl
// prints it the same way.
func Invalid(k linkstate.Kind, name string, errs field.ErrorList) admission.Response {
	return InvalidFor(k.GroupKind, name, errs)
}

// InvalidFor is Invalid for any group and kind.
func InvalidFor(gk schema.GroupKind, name string, errs field.ErrorList) admission.Response {
	status := apierrors.NewInvalid(gk, name, errs).ErrStatus
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &status}}
}
