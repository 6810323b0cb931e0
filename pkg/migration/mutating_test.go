package migration

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

func TestAnnotationPatch(t *testing.T) {
	want := map[string]string{AnnotationInterfaces: `{"a":"linkUp"}`, AnnotationObserved: `{}`}
	tests := map[string]struct {
		current map[string]string
		remove  []string
		ops     []jsonpatch.Operation
	}{
		"no annotations: one add of the map": {
			current: nil,
			ops:     []jsonpatch.Operation{{Operation: "add", Path: "/metadata/annotations", Value: want}},
		},
		"other annotations are kept: one add per key, escaped": {
			current: map[string]string{"team": "net"},
			ops: []jsonpatch.Operation{
				{Operation: "add", Path: "/metadata/annotations/linkstate.kubevirt.io~1interfaces", Value: `{"a":"linkUp"}`},
				{Operation: "add", Path: "/metadata/annotations/linkstate.kubevirt.io~1observed", Value: `{}`},
			},
		},
		"a forged value is overwritten": {
			current: map[string]string{AnnotationInterfaces: `{"a":"linkDown"}`, AnnotationObserved: `{}`},
			ops:     []jsonpatch.Operation{{Operation: "add", Path: "/metadata/annotations/linkstate.kubevirt.io~1interfaces", Value: `{"a":"linkUp"}`}},
		},
		"a signature to drop is removed, only if present": {
			current: map[string]string{AnnotationInterfaces: `{"a":"linkUp"}`, AnnotationObserved: `{}`, AnnotationSignature: "v1.x.y"},
			remove:  []string{AnnotationSignature, "absent-key"},
			ops:     []jsonpatch.Operation{{Operation: "remove", Path: "/metadata/annotations/linkstate.kubevirt.io~1signature"}},
		},
		"already stamped: nothing to do": {current: want},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.ops, AnnotationPatch(tc.current, want, tc.remove)); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
		})
	}
	odd := AnnotationPatch(map[string]string{}, map[string]string{"a~b/c": "v"}, nil)
	if len(odd) != 1 || odd[0].Path != "/metadata/annotations/a~0b~1c" {
		t.Errorf("key with ~ and / = %+v, want the RFC 6901 escape a~0b~1c", odd)
	}
}

// blockingVMIs waits for the request's deadline, like an API server that does not answer.
type blockingVMIs struct{}

func (blockingVMIs) GetVMI(ctx context.Context, _, _ string) (*linkstate.Object, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

type failingVMIs struct{}

func (failingVMIs) GetVMI(context.Context, string, string) (*linkstate.Object, error) {
	return nil, errors.New("etcdserver: leader changed")
}

func migrationRequest(op admissionv1.Operation, object string) admission.Request {
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "uid-m",
		Kind:      metav1.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachineInstanceMigration"},
		Operation: op,
		Namespace: "ns",
	}}
	req.Object.Raw = []byte(object)
	req.OldObject.Raw = []byte(object)
	return req
}

// handle runs a reviewer as the webhook server does, so responses carry the encoded patch.
func handle(r review.Reviewer, req admission.Request) admission.Response {
	return (&admission.Webhook{Handler: review.Handler(r)}).Handle(context.Background(), req)
}

func testVMI() *linkstate.Object {
	vmi := &linkstate.Object{Kind: linkstate.VirtualMachineInstance, Namespace: "ns", Name: "vm1"}
	vmi.Spec.Domain.Devices.Interfaces = []v1.Interface{{Name: "default"}, {Name: "sec", State: "linkDown"}}
	vmi.Status = []v1.VirtualMachineInstanceNetworkInterface{{Name: "sec", LinkState: "down"}}
	return vmi
}

func TestMutator(t *testing.T) {
	set := VMISet{}
	set.Add(testVMI())
	const (
		migration = `{"metadata":{"name":"m","namespace":"ns"},"spec":{"vmiName":"vm1"}}`
		forged    = `{"metadata":{"name":"m","namespace":"ns","annotations":{"linkstate.kubevirt.io/interfaces":"{\"sec\":\"linkUp\"}","linkstate.kubevirt.io/signature":"v1.0.AAAA"}},"spec":{"vmiName":"vm1"}}`
		missing   = `{"metadata":{"name":"m","namespace":"ns"},"spec":{"vmiName":"nope"}}`
		stamped   = `[{"op":"add","path":"/metadata/annotations","value":{"linkstate.kubevirt.io/interfaces":"{\"default\":\"linkUp\",\"sec\":\"linkDown\"}","linkstate.kubevirt.io/observed":"{\"sec\":\"down\"}"}}]`
	)
	tests := map[string]struct {
		vmis          VMIGetter
		failure       linkstate.Action
		req           admission.Request
		allowed       bool
		code          int32
		patch         string
		warning, text string
	}{
		"create is stamped": {vmis: set, req: migrationRequest(admissionv1.Create, migration), allowed: true, patch: stamped},
		// The VMI is found in the request's namespace when the object does not name one.
		"object without a namespace": {vmis: set, req: migrationRequest(admissionv1.Create, `{"metadata":{"name":"m"},"spec":{"vmiName":"vm1"}}`), allowed: true, patch: stamped},
		"a forged value is overwritten, a foreign signature removed": {vmis: set, req: migrationRequest(admissionv1.Create, forged), allowed: true,
			patch: `[{"op":"add","path":"/metadata/annotations/linkstate.kubevirt.io~1interfaces","value":"{\"default\":\"linkUp\",\"sec\":\"linkDown\"}"},` +
				`{"op":"add","path":"/metadata/annotations/linkstate.kubevirt.io~1observed","value":"{\"sec\":\"down\"}"},` +
				`{"op":"remove","path":"/metadata/annotations/linkstate.kubevirt.io~1signature"}]`},
		"update is not stamped": {vmis: set, req: migrationRequest(admissionv1.Update, migration), allowed: true},
		"missing VMI: allowed with a warning": {vmis: set, req: migrationRequest(admissionv1.Create, missing), allowed: true,
			warning: `VMI "nope" not found in namespace "ns": link states are not stamped on this migration`},
		"API error, warn mode": {vmis: failingVMIs{}, failure: linkstate.ActionWarn, req: migrationRequest(admissionv1.Create, migration), allowed: true,
			warning: `could not read VMI "vm1": link states are not stamped on this migration: etcdserver: leader changed`},
		"API error, deny mode": {vmis: failingVMIs{}, failure: linkstate.ActionDeny, req: migrationRequest(admissionv1.Create, migration),
			code: http.StatusInternalServerError, text: `reading VMI "vm1" to stamp its link states: etcdserver: leader changed`},
		// The lookup gives up at LookupTimeout, well before the API server's webhook timeout.
		"API server does not answer": {vmis: blockingVMIs{}, failure: linkstate.ActionDeny, req: migrationRequest(admissionv1.Create, migration),
			code: http.StatusInternalServerError, text: "context deadline exceeded"},
		"no vmiName": {vmis: set, req: migrationRequest(admissionv1.Create, `{"metadata":{"name":"m"},"spec":{}}`), allowed: true},
		"malformed":  {vmis: set, req: migrationRequest(admissionv1.Create, `{"spec":`), code: http.StatusBadRequest, text: "cannot read VirtualMachineInstanceMigration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := &Mutator{Rules: linkstate.Static(linkstate.DefaultConfig()), Options: Options{VMIs: tc.vmis, LookupTimeout: 50 * time.Millisecond, LookupFailure: tc.failure}}
			resp := handle(h, tc.req)
			if resp.Allowed != tc.allowed || string(resp.Patch) != tc.patch {
				t.Errorf("allowed=%v patch=%s\nwant allowed=%v patch=%s", resp.Allowed, resp.Patch, tc.allowed, tc.patch)
			}
			if tc.warning != "" && (len(resp.Warnings) != 1 || resp.Warnings[0] != tc.warning) {
				t.Errorf("warnings = %q, want [%q]", resp.Warnings, tc.warning)
			}
			if !tc.allowed && (resp.Result.Code != tc.code || !strings.Contains(resp.Result.Message, tc.text)) {
				t.Errorf("code=%d message=%q, want %d containing %q", resp.Result.Code, resp.Result.Message, tc.code, tc.text)
			}
		})
	}
}

// With a signer, the stamp carries a signature that verifies for this VMI's stamp only.
func TestMutatorSigns(t *testing.T) {
	set := VMISet{}
	set.Add(testVMI())
	signer := NewSigner([]byte("a secret only this test knows"))
	h := &Mutator{Rules: linkstate.Static(linkstate.DefaultConfig()), Options: Options{VMIs: set, Signer: signer, LookupTimeout: time.Second}}
	resp := handle(h, migrationRequest(admissionv1.Create, `{"metadata":{"name":"m","namespace":"ns"},"spec":{"vmiName":"vm1"}}`))
	var ops []struct {
		Value map[string]string `json:"value"`
	}
	if err := json.Unmarshal(resp.Patch, &ops); err != nil || len(ops) != 1 {
		t.Fatalf("patch %s: want one add of the annotations (%v)", resp.Patch, err)
	}
	got := ops[0].Value
	sig := got[AnnotationSignature]
	if !signer.Verify("ns", "vm1", Claimed(got), sig) {
		t.Fatalf("signature %q of %v does not verify", sig, got)
	}
	if signer.Verify("ns", "vm2", Claimed(got), sig) || signer.Verify("other", "vm1", Claimed(got), sig) {
		t.Error("the signature verifies for another VMI")
	}
}

// A signer that cannot load its key stamps unsigned rather than failing the migration.
func TestMutatorWithoutKeyStampsUnsigned(t *testing.T) {
	set := VMISet{}
	set.Add(testVMI())
	h := &Mutator{Rules: linkstate.Static(linkstate.DefaultConfig()), Options: Options{VMIs: set, Signer: NewFileSigner(t.TempDir() + "/missing.key"), LookupTimeout: time.Second}}
	resp := handle(h, migrationRequest(admissionv1.Create, `{"metadata":{"name":"m","namespace":"ns"},"spec":{"vmiName":"vm1"}}`))
	if !resp.Allowed || strings.Contains(string(resp.Patch), "signature") || !strings.Contains(string(resp.Patch), "interfaces") {
		t.Errorf("allowed=%v patch=%s: want an unsigned stamp", resp.Allowed, resp.Patch)
	}
}
