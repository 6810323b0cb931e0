package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
)

// recordingHandler remembers the body it was given, to tell whether LimitBody let a
// request through and whether it arrived intact.
type recordingHandler struct {
	called bool
	body   []byte
}

func (h *recordingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.called = true
	h.body, _ = io.ReadAll(r.Body)
	w.WriteHeader(http.StatusOK)
}

// onlyReader hides a reader's length, so net/http sends it chunked.
type onlyReader struct{ io.Reader }

func TestLimitBody(t *testing.T) {
	const limit = 1000
	tooLarge := func(msg string) *metav1.Status {
		return &metav1.Status{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
			Status:   metav1.StatusFailure, Reason: metav1.StatusReasonRequestEntityTooLarge,
			Code: http.StatusRequestEntityTooLarge, Message: msg,
		}
	}
	tests := map[string]struct {
		size    int
		chunked bool
		want    *metav1.Status // nil: the request reaches the handler intact
	}{
		"under the limit":                {size: limit - 1},
		"at the limit":                   {size: limit},
		"declared over the limit":        {size: limit + 1, want: tooLarge("the AdmissionReview is 1001 bytes, more than the 1000 bytes this webhook reads")},
		"chunked under the limit":        {size: limit, chunked: true},
		"chunked over the limit":         {size: limit + 1, chunked: true, want: tooLarge("the AdmissionReview is more than the 1000 bytes this webhook reads")},
		"chunked far over the limit":     {size: 50 * limit, chunked: true, want: tooLarge("the AdmissionReview is more than the 1000 bytes this webhook reads")},
		"declared far over the limit":    {size: 50 * limit, want: tooLarge("the AdmissionReview is 50000 bytes, more than the 1000 bytes this webhook reads")},
		"empty body reaches the hook":    {size: 0},
		"empty chunked reaches the hook": {size: 0, chunked: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			body := bytes.Repeat([]byte("x"), tc.size)
			var reader io.Reader = bytes.NewReader(body)
			if tc.chunked {
				reader = onlyReader{reader}
			}
			req := httptest.NewRequest(http.MethodPost, server.PathValidateVM, reader)
			if tc.chunked {
				req.ContentLength = -1
			}
			inner := &recordingHandler{}
			rec := httptest.NewRecorder()
			server.LimitBody(inner, limit).ServeHTTP(rec, req)

			if tc.want == nil {
				if !inner.called || !bytes.Equal(inner.body, body) {
					t.Fatalf("handler called=%v with %d bytes, want it called with the %d sent", inner.called, len(inner.body), len(body))
				}
				return
			}
			if inner.called {
				t.Errorf("the handler was called for a body over the limit")
			}
			if rec.Code != http.StatusRequestEntityTooLarge || rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("HTTP %d %q, want 413 application/json", rec.Code, rec.Header().Get("Content-Type"))
			}
			var got metav1.Status
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body is not a Status: %v: %s", err, rec.Body)
			}
			if diff := cmp.Diff(tc.want, &got); diff != "" {
				t.Errorf("Status (-want +got):\n%s", diff)
			}
		})
	}
}

// limitedServer serves every handler Register serves, wrapped in LimitBody as
// cmd/webhook wires it, over TLS with HTTP/1.1 only.
func limitedServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for path, h := range served(t) {
		mux.Handle(path, server.LimitBody(h, server.MaxReviewBytes))
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestOversizedReviewOverTLS: a client that sends more than MaxReviewBytes — the declared
// way or chunked — reads a 413 naming the limit rather than a broken connection, and the
// server goes on judging reviews.
func TestOversizedReviewOverTLS(t *testing.T) {
	srv := limitedServer(t)
	client := srv.Client()
	// A review whose object carries a large annotation: well-formed, just too big.
	big := workload.VM("big", "ns", 4, true)
	big["metadata"].(map[string]any)["annotations"].(map[string]any)["blob"] = strings.Repeat("a", int(server.MaxReviewBytes))
	body := workload.Review("uid-big", workload.Create, big, nil)

	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			var reader io.Reader = bytes.NewReader(body)
			if chunked {
				reader = onlyReader{reader}
			}
			resp, err := client.Post(srv.URL+server.PathValidateVM, "application/json", reader)
			if err != nil {
				t.Fatalf("POST of %d bytes: %v, want a 413 response", len(body), err)
			}
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(data), "this webhook reads") {
				t.Errorf("HTTP %d %s, want 413 naming the limit", resp.StatusCode, data)
			}

			got := postReview(t, client, srv.URL+server.PathValidateVM, workload.CreateReview(4, true))
			if !got.Allowed || got.UID != workload.CreateUID {
				t.Errorf("after the oversized review: allowed=%v uid=%q result=%v, want the next review allowed", got.Allowed, got.UID, got.Result)
			}
		})
	}
}

// postReview posts an AdmissionReview and returns its response, failing on anything but
// HTTP 200 with a response.
func postReview(t *testing.T, client *http.Client, url string, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d: %s", url, resp.StatusCode, data)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &review); err != nil || review.Response == nil {
		t.Fatalf("POST %s: not an AdmissionReview with a response (%v): %.300s", url, err, data)
	}
	return review.Response
}

// serveReview runs one AdmissionReview through a served handler in-process.
func serveReview(t *testing.T, h http.Handler, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
		t.Fatalf("HTTP %d, not an AdmissionReview with a response (%v): %.300s", rec.Code, err, rec.Body)
	}
	return review.Response
}

// TestDeeplyNestedReview: nesting cannot exhaust the stack. A review nested deeper than
// encoding/json's limit (10,000) is refused as a bad request; one just under it is read
// and judged like any other.
func TestDeeplyNestedReview(t *testing.T) {
	hooks := served(t)
	nested := func(depth int) []byte {
		vm := workload.VM("deep", "ns", 2, true)
		ifaces := vm["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["domain"].(map[string]any)["devices"].(map[string]any)["interfaces"].([]any)
		ifaces[1].(map[string]any)["state"] = "sideways" // so a judged review is a denial
		body := workload.Review("uid-deep", workload.Create, vm, nil)
		// An unknown member of the spec, nested depth levels: only its bytes are deep.
		return bytes.Replace(body, []byte(`"runStrategy":`),
			[]byte(`"futureField":`+strings.Repeat("[", depth)+strings.Repeat("]", depth)+`,"runStrategy":`), 1)
	}

	t.Run("a million levels are refused", func(t *testing.T) {
		for _, path := range []string{server.PathValidateVM, server.PathMutateVM} {
			got := serveReview(t, hooks[path], nested(1_000_000))
			if got.Allowed || got.Result == nil || got.Result.Code != http.StatusBadRequest ||
				!strings.Contains(got.Result.Message, "exceeded max depth") {
				t.Errorf("%s: allowed=%v result=%+v, want a 400 naming the depth", path, got.Allowed, got.Result)
			}
		}
	})
	t.Run("9,000 levels are judged", func(t *testing.T) {
		got := serveReview(t, hooks[server.PathValidateVM], nested(9000))
		if got.Allowed || got.Result == nil || got.Result.Code != http.StatusUnprocessableEntity || got.UID != "uid-deep" {
			t.Fatalf("allowed=%v uid=%q result=%+v, want the V1 denial", got.Allowed, got.UID, got.Result)
		}
		causes := got.Result.Details.Causes
		if len(causes) != 1 || causes[0].Field != "spec.template.spec.domain.devices.interfaces[1].state" {
			t.Errorf("causes = %+v, want one, on interfaces[1].state", causes)
		}
	})
}

// thousandInterfaces is a VM with 1,000 interfaces (the first on the pod network) where
// change rewrites some of them by index.
func thousandInterfaces(defaulted bool, change map[int]map[string]any) map[string]any {
	vm := workload.VM("wide", "ns", 1000, defaulted)
	ifaces := vm["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["domain"].(map[string]any)["devices"].(map[string]any)["interfaces"].([]any)
	for i, fields := range change {
		iface := ifaces[i].(map[string]any)
		for k, v := range fields {
			if v == nil {
				delete(iface, k)
			} else {
				iface[k] = v
			}
		}
	}
	return vm
}

// TestThousandInterfaces: a VM with 1,000 interfaces is judged like a small one — every
// violation found, at its index, and every empty state defaulted. (BenchmarkHandlersLarge
// shows the time stays linear.)
func TestThousandInterfaces(t *testing.T) {
	hooks := served(t)
	iface := func(i int) string { return fmt.Sprintf("spec.template.spec.domain.devices.interfaces[%d]", i) }

	t.Run("create: every violation, at its index", func(t *testing.T) {
		vm := thousandInterfaces(true, map[int]map[string]any{
			3:   {"state": "sideways"},                                           // V1
			500: {"bridge": nil, "sriov": map[string]any{}, "state": "linkDown"}, // B1
			998: {"state": "absent", "model": "e1000"},                           // A1 on the model
			999: {"state": "Down"},                                               // V1
		})
		got := serveReview(t, hooks[server.PathValidateVM], workload.Review("uid-wide", workload.Create, vm, nil))
		if got.Allowed || got.Result == nil || got.Result.Details == nil {
			t.Fatalf("allowed=%v result=%+v, want a denial with causes", got.Allowed, got.Result)
		}
		var fields []string
		for _, c := range got.Result.Details.Causes {
			fields = append(fields, c.Field)
		}
		want := []string{iface(3) + ".state", iface(500) + ".state", iface(998) + ".model", iface(999) + ".state"}
		if diff := cmp.Diff(want, fields); diff != "" {
			t.Errorf("cause fields (-want +got):\n%s", diff)
		}
	})

	t.Run("create: every empty state is defaulted", func(t *testing.T) {
		got := serveReview(t, hooks[server.PathMutateVM], workload.Review("uid-wide", workload.Create, thousandInterfaces(false, nil), nil))
		var patch []map[string]any
		if err := json.Unmarshal(got.Patch, &patch); err != nil {
			t.Fatalf("patch: %v", err)
		}
		// Interface 0 and the 500 odd ones (the others' states cycle "", linkUp, "", linkDown).
		if len(patch) != 501 {
			t.Fatalf("%d patch operations, want 501", len(patch))
		}
		for _, i := range []int{0, 1, 3, 997, 999} {
			found := false
			for _, op := range patch {
				found = found || op["path"] == fmt.Sprintf("/spec/template/spec/domain/devices/interfaces/%d/state", i)
			}
			if !found {
				t.Errorf("interface %d is not defaulted", i)
			}
		}
	})

	t.Run("update of the running VM: unplugged stays unplugged, at its index", func(t *testing.T) {
		old := workload.Running(thousandInterfaces(true, map[int]map[string]any{998: {"state": "absent"}}))
		vm := workload.Running(thousandInterfaces(true, map[int]map[string]any{998: {"state": "linkUp"}}))
		got := serveReview(t, hooks[server.PathValidateVM], workload.Review("uid-wide", workload.Update, vm, old))
		if got.Allowed || got.Result == nil || got.Result.Details == nil || len(got.Result.Details.Causes) != 1 ||
			got.Result.Details.Causes[0].Field != iface(998)+".state" || got.Result.Details.Causes[0].Type != metav1.CauseTypeForbidden {
			t.Errorf("allowed=%v result=%+v, want one Forbidden cause on interfaces[998].state", got.Allowed, got.Result)
		}
	})
}
