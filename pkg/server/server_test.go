package server_test

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
)

var typeMetaReview = metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}

var (
	kindVM         = metav1.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachine"}
	kindVMI        = metav1.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachineInstance"}
	kindDeployment = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
)

// The texts the service answers with, spelled out: a change to any of them is a change
// users see.
const (
	msgNotSupported = `Unsupported value: "sideways": supported values: "linkUp", "linkDown", "absent", "up", "down"`
	warnP1VMI       = "spec.domain.devices.interfaces[0].state: the link of the interface on the default network " +
		"will be down: readiness and liveness probes, services and other cluster traffic through it stop working"
	patchAddLinkUpVM = `[{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/0/state","value":"linkUp"}]`
)

// vm is a VirtualMachine with one interface (binding and state as given) on network.
func vm(name, binding, state, network string) []byte {
	return []byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",` +
		`"metadata":{"name":"` + name + `","namespace":"ns"},` +
		`"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[` + iface(binding, state) + `]}},` +
		`"networks":[` + network + `]}}}}`)
}

// vmi is a VirtualMachineInstance with one interface (binding and state as given) on network.
func vmi(name, binding, state, network string) []byte {
	return []byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstance",` +
		`"metadata":{"name":"` + name + `","namespace":"ns"},` +
		`"spec":{"domain":{"devices":{"interfaces":[` + iface(binding, state) + `]}},` +
		`"networks":[` + network + `]}}`)
}

func iface(binding, state string) string {
	s := `{"name":"net0","` + binding + `":{}`
	if state != "" {
		s += `,"state":"` + state + `"`
	}
	return s + "}"
}

const (
	podNetwork    = `{"name":"net0","pod":{}}`
	multusNetwork = `{"name":"net0","multus":{"networkName":"blue"}}`
)

func request(uid string, kind metav1.GroupVersionKind, op admissionv1.Operation, obj, old []byte) *admissionv1.AdmissionRequest {
	resource := map[string]string{
		"VirtualMachine":         "virtualmachines",
		"VirtualMachineInstance": "virtualmachineinstances",
		"Deployment":             "deployments",
	}[kind.Kind]
	return &admissionv1.AdmissionRequest{
		UID:       types.UID(uid),
		Kind:      kind,
		Resource:  metav1.GroupVersionResource{Group: kind.Group, Version: kind.Version, Resource: resource},
		Name:      "obj",
		Namespace: "ns",
		Operation: op,
		Object:    runtime.RawExtension{Raw: obj},
		OldObject: runtime.RawExtension{Raw: old},
	}
}

func decodeBase64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("patch is not base64: %v", err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

func TestServedReviews(t *testing.T) {
	ts := startServer(t)

	tests := map[string]struct {
		path string
		req  *admissionv1.AdmissionRequest
		want admissionv1.AdmissionResponse
	}{
		"validate VM: unknown state is NotSupported, listing every legal value": {
			path: server.PathValidateVM,
			req:  request("uid-vm-sideways", kindVM, admissionv1.Create, vm("vm1", "masquerade", "sideways", podNetwork), nil),
			want: admissionv1.AdmissionResponse{
				UID:     "uid-vm-sideways",
				Allowed: false,
				Result: &metav1.Status{
					Status:  metav1.StatusFailure,
					Message: `VirtualMachine.kubevirt.io "vm1" is invalid: spec.template.spec.domain.devices.interfaces[0].state: ` + msgNotSupported,
					Reason:  metav1.StatusReasonInvalid,
					Details: &metav1.StatusDetails{
						Name:  "vm1",
						Group: "kubevirt.io",
						Kind:  "VirtualMachine",
						Causes: []metav1.StatusCause{{
							Type:    metav1.CauseTypeFieldValueNotSupported,
							Message: msgNotSupported,
							Field:   "spec.template.spec.domain.devices.interfaces[0].state",
						}},
					},
					Code: http.StatusUnprocessableEntity,
				},
			},
		},
		"validate VMI: link down on the pod network is allowed with the P1 warning": {
			path: server.PathValidateVMI,
			req:  request("uid-vmi-down", kindVMI, admissionv1.Create, vmi("vmi1", "masquerade", "linkDown", podNetwork), nil),
			want: admissionv1.AdmissionResponse{
				UID:      "uid-vmi-down",
				Allowed:  true,
				Result:   &metav1.Status{Code: http.StatusOK},
				Warnings: []string{warnP1VMI},
			},
		},
		"mutate VM: empty state on a bridge interface is defaulted to linkUp": {
			path: server.PathMutateVM,
			req:  request("uid-vm-default", kindVM, admissionv1.Create, vm("vm2", "bridge", "", multusNetwork), nil),
			want: admissionv1.AdmissionResponse{
				UID:       "uid-vm-default",
				Allowed:   true,
				Result:    &metav1.Status{Code: http.StatusOK},
				Patch:     []byte(patchAddLinkUpVM),
				PatchType: ptr(admissionv1.PatchTypeJSONPatch),
			},
		},
		"mutate VMI on CREATE: empty state is defaulted": {
			path: server.PathMutateVMI,
			req:  request("uid-vmi-create", kindVMI, admissionv1.Create, vmi("vmi2", "bridge", "", multusNetwork), nil),
			want: admissionv1.AdmissionResponse{
				UID:       "uid-vmi-create",
				Allowed:   true,
				Result:    &metav1.Status{Code: http.StatusOK},
				Patch:     []byte(`[{"op":"add","path":"/spec/domain/devices/interfaces/0/state","value":"linkUp"}]`),
				PatchType: ptr(admissionv1.PatchTypeJSONPatch),
			},
		},
		"mutate VMI on UPDATE: the same object is not defaulted": {
			path: server.PathMutateVMI,
			req: request("uid-vmi-update", kindVMI, admissionv1.Update,
				vmi("vmi2", "bridge", "", multusNetwork), vmi("vmi2", "bridge", "", multusNetwork)),
			want: admissionv1.AdmissionResponse{
				UID:     "uid-vmi-update",
				Allowed: true,
				Result:  &metav1.Status{Code: http.StatusOK, Message: "VMIs are defaulted on create only"},
			},
		},
		"a state that is not a string cannot be read": {
			path: server.PathValidateVM,
			req: request("uid-vm-int", kindVM, admissionv1.Create,
				[]byte(`{"spec": {"template": {"spec": {"domain": {"devices": {"interfaces": [{"name":"a","state":5}]}}}}}}`), nil),
			want: admissionv1.AdmissionResponse{
				UID:     "uid-vm-int",
				Allowed: false,
				Result: &metav1.Status{
					Code: http.StatusBadRequest,
					Message: "cannot read VirtualMachine: json: cannot unmarshal number into Go struct field " +
						"Interface.spec.template.spec.domain.devices.interfaces.state of type v1.InterfaceState",
				},
			},
		},
		"a Deployment sent to the VM path names the kind the path serves": {
			path: server.PathValidateVM,
			req: request("uid-deploy", kindDeployment, admissionv1.Create,
				[]byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"}}`), nil),
			want: admissionv1.AdmissionResponse{
				UID:     "uid-deploy",
				Allowed: false,
				Result: &metav1.Status{
					Code: http.StatusBadRequest,
					Message: `this endpoint serves VirtualMachine.kubevirt.io, not "apps/v1, Kind=Deployment": ` +
						"check the webhook configuration's rules and path",
				},
			},
		},
		"a CREATE without an object is a bad request": {
			path: server.PathMutateVM,
			req:  request("uid-empty", kindVM, admissionv1.Create, nil, nil),
			want: admissionv1.AdmissionResponse{
				UID:     "uid-empty",
				Allowed: false,
				Result:  &metav1.Status{Code: http.StatusBadRequest, Message: "no VirtualMachine in the request"},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// dryRun changes nothing: there are no side effects to skip.
			for _, dryRun := range []bool{false, true} {
				req := *tc.req
				req.DryRun = &dryRun
				got := ts.review(t, tc.path, &req)
				if diff := cmp.Diff(&tc.want, got); diff != "" {
					t.Errorf("dryRun=%v: response (-want +got):\n%s", dryRun, diff)
				}
			}
		})
	}
}

// TestServedPatchDecodes reads the patch as the API server does: base64 in the JSON
// envelope, a JSON array of RFC 6902 operations.
func TestServedPatchDecodes(t *testing.T) {
	ts := startServer(t)
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: typeMetaReview,
		Request:  request("uid-patch", kindVM, admissionv1.Create, vm("vm", "bridge", "", multusNetwork), nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, data := ts.post(t, ts.client, server.PathMutateVM, body)
	var envelope struct {
		Response struct {
			PatchType string `json:"patchType"`
			Patch     string `json:"patch"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		t.Fatalf("response: %v; body: %s", err, data)
	}
	if envelope.Response.PatchType != "JSONPatch" {
		t.Errorf("patchType = %q, want JSONPatch", envelope.Response.PatchType)
	}
	var ops []map[string]any
	if err := json.Unmarshal(decodeBase64(t, envelope.Response.Patch), &ops); err != nil {
		t.Fatalf("patch is not a JSON array of operations: %v", err)
	}
	want := []map[string]any{{"op": "add", "path": "/spec/template/spec/domain/devices/interfaces/0/state", "value": "linkUp"}}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("patch (-want +got):\n%s", diff)
	}
}

// TestMalformedReviewIsAnsweredAndServed: a body that is not an AdmissionReview gets an
// error response (HTTP 200, as controller-runtime answers), and the server goes on
// serving good requests on every path.
func TestMalformedReviewIsAnsweredAndServed(t *testing.T) {
	ts := startServer(t)
	paths := []string{server.PathMutateVM, server.PathValidateVM, server.PathMutateVMI, server.PathValidateVMI}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			_, got := ts.reviewRaw(t, path, []byte(`{"request":`))
			want := &admissionv1.AdmissionResponse{
				Allowed: false,
				Result: &metav1.Status{
					Code:    http.StatusBadRequest,
					Message: "couldn't get version/kind; json parse error: unexpected end of JSON input",
				},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("malformed body: response (-want +got):\n%s", diff)
			}

			kind, obj := kindVM, vm("after", "masquerade", "sideways", podNetwork)
			if strings.HasSuffix(path, "virtualmachineinstance") {
				kind, obj = kindVMI, vmi("after", "masquerade", "sideways", podNetwork)
			}
			next := ts.review(t, path, request("uid-next", kind, admissionv1.Create, obj, nil))
			if next.UID != "uid-next" || next.Result == nil {
				t.Fatalf("next request: got %+v", next)
			}
			// The mutator leaves an illegal value alone, the validator denies it.
			wantAllowed, wantCode := true, int32(http.StatusOK)
			if strings.HasPrefix(path, "/validate") {
				wantAllowed, wantCode = false, http.StatusUnprocessableEntity
			}
			if next.Allowed != wantAllowed || next.Result.Code != wantCode {
				t.Errorf("next request: allowed=%v code=%d, want allowed=%v code=%d",
					next.Allowed, next.Result.Code, wantAllowed, wantCode)
			}
		})
	}
}

func TestTLSVersions(t *testing.T) {
	ts := startServer(t)
	review := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":` +
		`{"uid":"u","kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},"operation":"DELETE"}}`)

	tests := map[string]struct {
		min, max uint16
		wantErr  string // "" means the request succeeds
	}{
		"TLS 1.1 at most is refused by the server": {min: tls.VersionTLS10, max: tls.VersionTLS11, wantErr: "protocol version not supported"},
		"TLS 1.2 is served":                        {min: tls.VersionTLS12, max: tls.VersionTLS12},
		"TLS 1.3 is served":                        {min: tls.VersionTLS13, max: tls.VersionTLS13},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client := ts.newClient(t, &tls.Config{MinVersion: tc.min, MaxVersion: tc.max})
			resp, err := client.Post(ts.url(server.PathValidateVM), "application/json", strings.NewReader(string(review)))
			if tc.wantErr != "" {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("handshake succeeded with TLS %x, want it refused", resp.TLS.Version)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.TLS.Version != tc.max {
				t.Errorf("HTTP %d over TLS %x, want 200 over TLS %x", resp.StatusCode, resp.TLS.Version, tc.max)
			}
		})
	}
}

func TestHTTP2IsNotNegotiated(t *testing.T) {
	ts := startServer(t)
	client := ts.newClient(t, &tls.Config{NextProtos: []string{"h2", "http/1.1"}})
	resp, _ := ts.post(t, client, server.PathValidateVM,
		[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":`+
			`{"uid":"u","kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},"operation":"DELETE"}}`))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTP %d, want 200", resp.StatusCode)
	}
	if resp.Proto != "HTTP/1.1" {
		t.Errorf("Proto = %q, want HTTP/1.1", resp.Proto)
	}
	if resp.TLS == nil || resp.TLS.NegotiatedProtocol != "http/1.1" {
		t.Errorf("ALPN negotiated %+v, want http/1.1", resp.TLS)
	}

	// A client that speaks only h2 finds no protocol in common.
	conn, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: ts.ca.Pool(), NextProtos: []string{"h2"}})
	if err == nil {
		proto := conn.ConnectionState().NegotiatedProtocol
		conn.Close()
		t.Fatalf("a client offering only h2 completed the handshake (ALPN %q), want it refused", proto)
	}
	if !strings.Contains(err.Error(), "no application protocol") {
		t.Errorf("h2-only handshake error = %v, want no application protocol", err)
	}
}

func TestTLSOptions(t *testing.T) {
	tests := map[string]struct {
		enableHTTP2 bool
		want        []string
	}{
		"HTTP/2 off: only http/1.1 is offered":           {enableHTTP2: false, want: []string{"http/1.1"}},
		"HTTP/2 on: controller-runtime's default stands": {enableHTTP2: true, want: []string{"h2"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := &tls.Config{NextProtos: []string{"h2"}} // what webhook.Server starts from
			for _, opt := range server.TLSOptions(tc.enableHTTP2) {
				opt(cfg)
			}
			if cfg.MinVersion != tls.VersionTLS12 {
				t.Errorf("MinVersion = %x, want TLS 1.2 (%x)", cfg.MinVersion, tls.VersionTLS12)
			}
			if diff := cmp.Diff(tc.want, cfg.NextProtos); diff != "" {
				t.Errorf("NextProtos (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCertificateReload: a renewed certificate written over the old files is served on new
// connections without a restart.
func TestCertificateReload(t *testing.T) {
	ts := startServer(t)
	serial, cn, err := ts.servedCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if serial != "100" || cn != "first" {
		t.Fatalf("served certificate serial=%s CN=%s, want serial=100 CN=first", serial, cn)
	}

	certPEM, keyPEM := issue(t, ts.ca, 200, "second")
	writeServingPair(t, ts.certDir, certPEM, keyPEM)
	pollUntil(t, "the renewed certificate is served", func() error {
		serial, cn, err := ts.servedCertificate()
		if err != nil {
			return err
		}
		if serial != "200" || cn != "second" {
			return errors.New("still serving serial " + serial + " CN " + cn)
		}
		return nil
	})

	// And the webhooks still answer over the renewed certificate.
	got := ts.review(t, server.PathValidateVMI,
		request("uid-after-reload", kindVMI, admissionv1.Create, vmi("vmi", "masquerade", "linkDown", podNetwork), nil))
	if !got.Allowed || cmp.Diff([]string{warnP1VMI}, got.Warnings) != "" {
		t.Errorf("after reload: allowed=%v warnings=%q, want allowed with the P1 warning", got.Allowed, got.Warnings)
	}
}

// TestCertificateChecker: /healthz follows the files, so a key replaced by garbage (a
// half-written secret) shows up there.
func TestCertificateChecker(t *testing.T) {
	ca := newTestCA(t)
	certPEM, keyPEM := issue(t, ca, 7, "checked")
	dir := t.TempDir()
	check := server.CertificateChecker(dir, "tls.crt", "tls.key")

	writeServingPair(t, dir, certPEM, keyPEM)
	if err := check(nil); err != nil {
		t.Errorf("good pair: checker error = %v, want nil", err)
	}

	if err := os.WriteFile(filepath.Join(dir, "tls.key"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := check(nil)
	const want = "serving certificate: tls: failed to find any PEM data in key input"
	if err == nil || err.Error() != want {
		t.Errorf("garbage key: checker error = %v, want %q", err, want)
	}

	otherCert, _ := issue(t, ca, 8, "other")
	writeServingPair(t, dir, otherCert, keyPEM)
	err = check(nil)
	const wantMismatch = "serving certificate: tls: private key does not match public key"
	if err == nil || err.Error() != wantMismatch {
		t.Errorf("mismatched pair: checker error = %v, want %q", err, wantMismatch)
	}

	missing := server.CertificateChecker(filepath.Join(t.TempDir(), "missing"), "tls.crt", "tls.key")
	if err := missing(nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing directory: checker error = %v, want one wrapping os.ErrNotExist", err)
	}
}
