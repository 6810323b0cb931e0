package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxReviewBytes is the largest AdmissionReview the webhooks read. An UPDATE review holds
// the object and its old version; etcd stores objects of up to 1.5 MiB by default
// (--max-request-bytes), so an API server never sends much more than twice that. 4 MiB
// leaves room for the rest of the review, where the API server's own 3 MiB request limit
// would refuse updates of the largest storable VMs — and blocking an UPDATE also blocks
// removing a finalizer. Any pod can reach the webhook's port: the limit bounds what one
// such client makes the server buffer (controller-runtime alone allows 7 MiB).
const MaxReviewBytes int64 = 4 << 20

// LimitBody serves h only requests whose body is at most maxBytes long. A larger one is
// answered HTTP 413 with a metav1.Status naming the limit — the form the API server's
// client decodes and shows — before h reads a byte of it, when the request declares its
// length; a body of unknown length (chunked) is read up to the limit first.
func LimitBody(h http.Handler, maxBytes int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.ContentLength > maxBytes:
			writeStatus(w, http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge, fmt.Sprintf(
				"the AdmissionReview is %d bytes, more than the %d bytes this webhook reads", r.ContentLength, maxBytes))
			return
		case r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody:
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
			if err != nil {
				writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "reading the request body: "+err.Error())
				return
			}
			if int64(len(body)) > maxBytes {
				writeStatus(w, http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge, fmt.Sprintf(
					"the AdmissionReview is more than the %d bytes this webhook reads", maxBytes))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		h.ServeHTTP(w, r)
	})
}

// writeStatus answers with a failed metav1.Status, as the API server answers its own errors.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, message string) {
	status := metav1.Status{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status:   metav1.StatusFailure,
		Message:  message,
		Reason:   reason,
		Code:     int32(code),
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(status) // the client may be gone: nothing left to tell it
}
