// Package floor is the cheapest admission webhook there is, as the yardstick of the real
// one: encoding/json decodes the AdmissionReview (the objects stay raw bytes, as
// runtime.RawExtension keeps them) and it answers allowed. Whatever a webhook does beyond
// this is its own cost. cmd/floorwebhook serves it over TLS the way the real binary serves
// its webhooks, for loadgen to measure both in one run.
package floor

import (
	"encoding/json"
	"io"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
)

// Handler answers every AdmissionReview it can decode with allowed, and anything else
// with HTTP 400.
var Handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	answer := admissionv1.AdmissionReview{
		TypeMeta: review.TypeMeta,
		Response: &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer) // the client may be gone: nothing left to tell it
})
