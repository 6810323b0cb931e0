package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	utiljson "sigs.k8s.io/json"

	"github.com/linkstate-webhook/linkstate-webhook/internal/jsonprune"
)

// ReviewHandler serves AdmissionReviews to an admission.Handler as controller-runtime's
// admission.Webhook.ServeHTTP does — same answers, byte for byte — at a fraction of the
// cost. admission.Webhook decodes every review generically: encoding/json reads the whole
// body to find its apiVersion and kind, then sigs.k8s.io/json reads it again into the
// AdmissionReview, two passes each, to copy out the object and old object as raw bytes.
// Those are nearly all of a review, and the reviewers read a few hundred bytes of them.
//
// ReviewHandler reads the body once (jsonprune.Split: one validating pass that cuts the
// object and old object out as sub-slices of the body) and decodes what is left, which is
// small, with the decoder controller-runtime's deserializer uses; then admission.Webhook.Handle judges
// the request as before (panic recovery, the request logger — made lazy, see
// requestLogger — and patch encoding) and the answer is written as ServeHTTP writes it. Every review the shortcut is not sure about —
// not JSON, a wrong content type, an unreadable body, escaped or duplicate keys where the
// objects are cut, anything the deserializer refuses — goes to admission.Webhook.ServeHTTP
// whole, so errors and odd inputs are answered by controller-runtime itself.
// TestReviewHandlerMatchesWebhook and FuzzReviewHandlerMatchesWebhook hold the two to the
// same bytes.
type ReviewHandler struct {
	webhook *admission.Webhook
}

// NewReviewHandler serves h.
func NewReviewHandler(h admission.Handler) *ReviewHandler {
	return &ReviewHandler{webhook: &admission.Webhook{Handler: h, LogConstructor: requestLogger}}
}

// maxRequestSize is admission.Webhook's own limit on the body: a longer one is its to refuse.
const maxRequestSize = 7 << 20

var (
	reviewPath = []string{"request"}
	reviewCut  = []string{"object", "oldObject"}
)

// anyVersionReview is what admission.Webhook decodes into: v1 and v1beta1 reviews have the
// same fields, and a type no scheme knows is decoded whatever its version.
type anyVersionReview struct {
	admissionv1.AdmissionReview
}

func (h *ReviewHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.Header.Get("Content-Type") != "application/json" {
		h.webhook.ServeHTTP(w, r)
		return
	}
	body, err := readBody(r)
	if err != nil || len(body) > maxRequestSize {
		// admission.Webhook reads the same bytes and meets the same error.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		h.webhook.ServeHTTP(w, r)
		return
	}
	req, gvk, ok := decodeReview(body)
	if !ok {
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.webhook.ServeHTTP(w, r)
		return
	}
	writeReview(w, h.webhook.Handle(r.Context(), req), gvk)
}

// readBody reads the whole body, in one allocation when its length is declared.
func readBody(r *http.Request) ([]byte, error) {
	defer r.Body.Close()
	size := int64(bytes.MinRead)
	if r.ContentLength > 0 && r.ContentLength <= maxRequestSize {
		size += r.ContentLength
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(io.LimitReader(r.Body, maxRequestSize+1))
	return buf.Bytes(), err
}

// errReader fails with err, or ends the stream when err is nil.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err == nil {
		return 0, io.EOF
	}
	return 0, e.err
}

// decodeReview decodes body as admission.Webhook does, but for the object and old object,
// which are sub-slices of body; ok is false when it is not sure to read body the same way.
//
// admission.Webhook's deserializer first reads apiVersion and kind with encoding/json
// (case-insensitive), then the whole review with sigs.k8s.io/json (case-sensitive). Here
// sigs.k8s.io/json reads both from what Split leaves, which is the same when no key there
// could match apiVersion or kind only case-insensitively (FoldedKey).
func decodeReview(body []byte) (req admission.Request, gvk *schema.GroupVersionKind, ok bool) {
	rest, objects, ok := jsonprune.Split(body, reviewPath, reviewCut...)
	if !ok || jsonprune.FoldedKey(rest, "apiVersion", "kind") {
		return req, nil, false
	}
	review := anyVersionReview{}
	review.Request = &req.AdmissionRequest
	if err := utiljson.UnmarshalCaseSensitivePreserveInts(rest, &review); err != nil {
		return req, nil, false
	}
	gv, err := schema.ParseGroupVersion(review.APIVersion)
	if err != nil {
		return req, nil, false
	}
	gvk = &schema.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: review.Kind}
	if review.Request != &req.AdmissionRequest {
		// "request": null: the decoder dropped the request, as it does for admission.Webhook.
		return req, gvk, true
	}
	req.Object.Raw, req.OldObject.Raw = rawExtension(objects[0]), rawExtension(objects[1])
	return req, gvk, true
}

// rawExtension is what runtime.RawExtension keeps of a JSON value: nothing of null.
func rawExtension(value []byte) []byte {
	if string(value) == "null" {
		return nil
	}
	return value
}

// writeReview answers with resp in an AdmissionReview of the version asked, as
// admission.Webhook does (status 200 whatever the verdict).
func writeReview(w http.ResponseWriter, resp admission.Response, gvk *schema.GroupVersionKind) {
	review := admissionv1.AdmissionReview{Response: &resp.AdmissionResponse}
	if gvk == nil || *gvk == (schema.GroupVersionKind{}) {
		review.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("AdmissionReview"))
	} else {
		review.SetGroupVersionKind(*gvk)
	}
	if err := json.NewEncoder(w).Encode(review); err != nil {
		// As admission.Webhook: most likely the connection broke; one last try.
		failed := admission.Errored(http.StatusInternalServerError, err)
		_ = json.NewEncoder(w).Encode(admissionv1.AdmissionReview{Response: &failed.AdmissionResponse})
	}
}
