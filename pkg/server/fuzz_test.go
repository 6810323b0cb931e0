package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	utiljson "sigs.k8s.io/json"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
)

// validatorOf is the validating path judging what a mutating path mutates.
var validatorOf = map[string]string{
	server.PathMutateVM:  server.PathValidateVM,
	server.PathMutateVMI: server.PathValidateVMI,
}

var statePatchPath = regexp.MustCompile(`^(/spec/template)?/spec/domain/devices/interfaces/(\d+)/state$`)

// FuzzServeHTTP sends arbitrary bytes, as an AdmissionReview body, to every served VM and
// VMI path through the handlers the server registers (admission.Webhook's ServeHTTP
// included) and checks that:
//   - every answer is HTTP 200 carrying an AdmissionReview response, and never a 500
//     (which is how admission.Webhook reports a recovered panic);
//   - a patch holds only add or replace of interfaces/N/state, applies to the request's
//     object with evanphx/json-patch, and changes nothing else in it;
//   - mutation converges, and the mutated object has no denial the original did not have.
//
// Patch properties are checked on objects an API server could send: JSON without
// duplicate keys (for those, which of two values counts is a matter of taste).
func FuzzServeHTTP(f *testing.F) {
	for _, seed := range [][]byte{
		// A realistic review (large: only one, the fuzzer mutates it byte by byte).
		workload.CreateReview(1, false),
		[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachineInstance"},"operation":"CREATE",` +
			`"object":{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","bridge":{}},{"name":"b","sriov":{},"state":"down"},{"name":"c","state":"absent","model":"e1000"}]}},"networks":[{"name":"a","pod":{}},{"name":"b","multus":{"networkName":"x","default":true}}]}}}}`),
		[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},"operation":"UPDATE",` +
			`"object":{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","bridge":{},"state":"up"}]}}}}}},` +
			`"oldObject":{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","bridge":{},"state":"absent"}]}}}}},"status":{"created":true}}}}`),
		[]byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},"operation":"DELETE"}}`),
		[]byte(`{"request":`),
		[]byte(`[]`),
		{},
	} {
		f.Add(seed)
	}
	hooks := served(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for path, h := range hooks {
			got := fuzzServe(t, h, path, body)
			if got.Patch == nil {
				continue
			}
			var review admissionv1.AdmissionReview
			if err := utiljson.UnmarshalCaseSensitivePreserveInts(body, &review); err != nil || review.Request == nil {
				t.Fatalf("%s patched a review that does not decode (%v)", path, err)
			}
			object := review.Request.Object.Raw
			if hasDuplicateKeys(object) {
				continue
			}
			mutated := checkStatePatch(t, path, object, got.Patch)

			// Converges: the mutated object, in the same review, is not patched again.
			review.Request.Object.Raw = mutated
			again, err := json.Marshal(&review)
			if err != nil {
				t.Fatal(err)
			}
			if resp := fuzzServe(t, h, path, again); resp.Patch != nil {
				t.Fatalf("%s: mutation does not converge: second pass patched %s", path, resp.Patch)
			}
			// Mutated ⇒ valid: no denial the original did not have.
			review.Request.Object.Raw = object
			original, err := json.Marshal(&review)
			if err != nil {
				t.Fatal(err)
			}
			validator := hooks[validatorOf[path]]
			before := fuzzCauses(fuzzServe(t, validator, validatorOf[path], original))
			after := fuzzCauses(fuzzServe(t, validator, validatorOf[path], again))
			for field := range after {
				if !before[field] {
					t.Fatalf("%s: mutation made %s invalid\noriginal %s\nmutated  %s", path, field, object, mutated)
				}
			}
		}
	})
}

// fuzzServe posts body to h and returns the AdmissionReview response, failing on any
// other answer.
func fuzzServe(t *testing.T, h http.Handler, path string, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var review admissionv1.AdmissionReview
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
		t.Fatalf("%s: not an AdmissionReview with a response (%v): %s", path, err, rec.Body)
	}
	if r := review.Response.Result; r != nil && r.Code >= 500 {
		t.Fatalf("%s: HTTP-level error in the review (a recovered panic?): %d %s", path, r.Code, r.Message)
	}
	return review.Response
}

// checkStatePatch applies patch to object, checking it only adds or replaces strings at
// interfaces/N/state of the path's kind and changes nothing else, and returns the result.
func checkStatePatch(t *testing.T, path string, object, patch []byte) []byte {
	t.Helper()
	var ops []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	if err := json.Unmarshal(patch, &ops); err != nil {
		t.Fatalf("%s: patch is not a JSON array of operations: %v: %s", path, err, patch)
	}
	isVM := path == server.PathMutateVM
	patched := map[int]bool{}
	for _, op := range ops {
		m := statePatchPath.FindStringSubmatch(op.Path)
		_, isString := op.Value.(string)
		if (op.Op != "add" && op.Op != "replace") || m == nil || (m[1] != "") != isVM || !isString {
			t.Fatalf("%s: patch operation %+v: only add or replace of a string at interfaces/N/state may be patched", path, op)
		}
		i, _ := strconv.Atoi(m[2])
		patched[i] = true
	}
	decoded, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		t.Fatalf("%s: patch does not decode as RFC 6902: %v", path, err)
	}
	mutated, err := decoded.Apply(object)
	if err != nil {
		t.Fatalf("%s: patch %s does not apply to %s: %v", path, patch, object, err)
	}
	before, after := withoutPatchedStates(t, object, isVM, patched), withoutPatchedStates(t, mutated, isVM, patched)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("%s: the patch changed more than states:\nbefore %s\nafter  %s", path, object, mutated)
	}
	return mutated
}

// withoutPatchedStates is the object as generic JSON without the state of the patched
// interfaces.
func withoutPatchedStates(t *testing.T, raw []byte, isVM bool, patched map[int]bool) any {
	t.Helper()
	var obj any
	if err := utiljson.UnmarshalCaseSensitivePreserveInts(raw, &obj); err != nil {
		t.Fatalf("object does not decode: %v", err)
	}
	keys := []string{"spec", "domain", "devices", "interfaces"}
	if isVM {
		keys = append([]string{"spec", "template"}, keys...)
	}
	node := obj
	for _, k := range keys {
		m, _ := node.(map[string]any)
		node = m[k]
	}
	list, _ := node.([]any)
	for i := range patched {
		if i < len(list) {
			if iface, ok := list[i].(map[string]any); ok {
				delete(iface, "state")
			}
		}
	}
	return obj
}

// hasDuplicateKeys reports whether a JSON document repeats a key in some object.
func hasDuplicateKeys(raw []byte) bool {
	var v any
	strict, err := utiljson.UnmarshalStrict(raw, &v, utiljson.DisallowDuplicateFields)
	return err != nil || len(strict) > 0
}

func fuzzCauses(resp *admissionv1.AdmissionResponse) map[string]bool {
	fields := map[string]bool{}
	if resp.Allowed {
		return fields
	}
	if resp.Result == nil || resp.Result.Details == nil {
		fields["<no causes: "+strings.TrimSpace(resp.Result.String())+">"] = true
		return fields
	}
	for _, c := range resp.Result.Details.Causes {
		fields[c.Field] = true
	}
	return fields
}
