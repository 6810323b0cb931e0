package mutate

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

const (
	vmEmptyBridge = `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"vm","namespace":"ns"},
	  "spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"sec","bridge":{}}]}},
	  "networks":[{"name":"sec","multus":{"networkName":"br"}}]}}}}`
	vmiEmptyBridge = `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstance","metadata":{"name":"vmi","namespace":"ns"},
	  "spec":{"domain":{"devices":{"interfaces":[{"name":"sec","bridge":{}}]}},"networks":[{"name":"sec","multus":{"networkName":"br"}}]}}`
)

func request(kind linkstate.Kind, op admissionv1.Operation, object, old string) admission.Request {
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "uid-1",
		Kind:      metav1.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: kind.GroupKind.Kind},
		Operation: op,
		Namespace: "ns",
	}}
	req.Object.Raw = []byte(object)
	req.OldObject.Raw = []byte(old)
	return req
}

// Through admission.Webhook, as the server calls it: Complete fills in uid, patch and patchType.
func handle(r review.Reviewer, req admission.Request) admission.Response {
	return (&admission.Webhook{Handler: review.Handler(r)}).Handle(context.Background(), req)
}

func TestHandlerPatches(t *testing.T) {
	cfg := linkstate.DefaultConfig()
	vm := &Reviewer{Kind: linkstate.VirtualMachine, Rules: linkstate.Static(cfg)}
	vmi := &Reviewer{Kind: linkstate.VirtualMachineInstance, Rules: linkstate.Static(cfg)}
	tests := map[string]struct {
		h         review.Reviewer
		req       admission.Request
		wantPatch string
	}{
		"VM create": {vm, request(linkstate.VirtualMachine, admissionv1.Create, vmEmptyBridge, ""),
			`[{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/0/state","value":"linkUp"}]`},
		"VM update": {vm, request(linkstate.VirtualMachine, admissionv1.Update, vmEmptyBridge, vmEmptyBridge),
			`[{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/0/state","value":"linkUp"}]`},
		"VMI create": {vmi, request(linkstate.VirtualMachineInstance, admissionv1.Create, vmiEmptyBridge, ""),
			`[{"op":"add","path":"/spec/domain/devices/interfaces/0/state","value":"linkUp"}]`},
		"VMI update is never mutated": {vmi, request(linkstate.VirtualMachineInstance, admissionv1.Update, vmiEmptyBridge, vmiEmptyBridge), ""},
		"dry run is mutated the same": {vm, func() admission.Request {
			r := request(linkstate.VirtualMachine, admissionv1.Create, vmEmptyBridge, "")
			r.DryRun = ptr.To(true)
			return r
		}(), `[{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/0/state","value":"linkUp"}]`},
		"a VM being deleted is left alone": {vm, request(linkstate.VirtualMachine, admissionv1.Update,
			strings.Replace(vmEmptyBridge, `"namespace":"ns"`, `"namespace":"ns","deletionTimestamp":"2026-01-01T00:00:00Z"`, 1), vmEmptyBridge), ""},
		"delete is not judged": {vm, request(linkstate.VirtualMachine, admissionv1.Delete, "", vmEmptyBridge), ""},
		// Defaulting never reads the old object, so a broken one does not get in the way.
		"update with an unreadable old object": {vm, request(linkstate.VirtualMachine, admissionv1.Update, vmEmptyBridge, `[`),
			`[{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/0/state","value":"linkUp"}]`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := handle(tc.h, tc.req)
			if !resp.Allowed || resp.UID != "uid-1" {
				t.Fatalf("allowed=%v uid=%q result=%v", resp.Allowed, resp.UID, resp.Result)
			}
			if string(resp.Patch) != tc.wantPatch {
				t.Errorf("patch = %s\nwant    %s", resp.Patch, tc.wantPatch)
			}
			if (resp.PatchType != nil) != (tc.wantPatch != "") {
				t.Errorf("patchType = %v with patch %s", resp.PatchType, resp.Patch)
			}
		})
	}
}

func TestHandlerAliasWarning(t *testing.T) {
	obj := strings.Replace(vmEmptyBridge, `"bridge":{}`, `"bridge":{},"state":"down"`, 1)
	resp := handle(&Reviewer{Kind: linkstate.VirtualMachine, Rules: linkstate.Static(linkstate.DefaultConfig())}, request(linkstate.VirtualMachine, admissionv1.Create, obj, ""))
	want := `spec.template.spec.domain.devices.interfaces[0].state: "down" is the upstream dialect's spelling; stored as "linkDown", the spelling this cluster uses`
	if len(resp.Warnings) != 1 || resp.Warnings[0] != want {
		t.Errorf("warnings = %q, want [%q]", resp.Warnings, want)
	}
	if string(resp.Patch) != `[{"op":"replace","path":"/spec/template/spec/domain/devices/interfaces/0/state","value":"linkDown"}]` {
		t.Errorf("patch = %s", resp.Patch)
	}
}

func TestHandlerBadRequests(t *testing.T) {
	h := &Reviewer{Kind: linkstate.VirtualMachine, Rules: linkstate.Static(linkstate.DefaultConfig())}
	wrongKind := request(linkstate.VirtualMachine, admissionv1.Create, `{}`, "")
	wrongKind.Kind = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	tests := map[string]struct {
		req  admission.Request
		want string
	}{
		"malformed object": {request(linkstate.VirtualMachine, admissionv1.Create, `{"spec":`, ""), "cannot read VirtualMachine"},
		"state is a number": {request(linkstate.VirtualMachine, admissionv1.Create,
			`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","state":5}]}}}}}}`, ""), "cannot read VirtualMachine"},
		"empty object": {request(linkstate.VirtualMachine, admissionv1.Create, "", ""), "no VirtualMachine in the request"},
		"wrong kind":   {wrongKind, "this endpoint serves VirtualMachine.kubevirt.io"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := handle(h, tc.req)
			if resp.Allowed || resp.Result.Code != http.StatusBadRequest || !strings.Contains(resp.Result.Message, tc.want) {
				t.Errorf("allowed=%v code=%d message=%q, want a 400 containing %q", resp.Allowed, resp.Result.Code, resp.Result.Message, tc.want)
			}
		})
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
