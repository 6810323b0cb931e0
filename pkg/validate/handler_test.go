package validate

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

const (
	// A VM with an SR-IOV interface set down and a bogus value: two causes.
	vmTwoErrors = `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"vm1","namespace":"ns"},
	  "spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[
	    {"name":"default","masquerade":{},"state":"linkDown"},
	    {"name":"vf","sriov":{},"state":"linkDown"},
	    {"name":"x","bridge":{},"state":"sideways"}]}},
	  "networks":[{"name":"default","pod":{}},{"name":"vf","multus":{"networkName":"sriov"}},{"name":"x","multus":{"networkName":"br"}}]}}}}`
	vmRunningUnplugged = `{"metadata":{"name":"vm2","namespace":"ns"},
	  "spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"sec","bridge":{},"state":"absent"}]}},
	  "networks":[{"name":"sec","multus":{"networkName":"br"}}]}}},
	  "status":{"created":true,"printableStatus":"Running"}}`
	vmiPodDown = `{"metadata":{"name":"vmi1","namespace":"ns"},
	  "spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"state":"linkDown"}]}},"networks":[{"name":"default","pod":{}}]}}`
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

func handle(r review.Reviewer, req admission.Request) admission.Response {
	return (&admission.Webhook{Handler: review.Handler(r)}).Handle(context.Background(), req)
}

// A denial is the API server's own Invalid status: kubectl prints it like built-in validation.
func TestHandlerDenialIsInvalidStatus(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		req := request(linkstate.VirtualMachine, admissionv1.Create, vmTwoErrors, "")
		req.DryRun = ptr.To(dryRun)
		resp := handle(&Reviewer{Kind: linkstate.VirtualMachine, Rules: linkstate.Static(linkstate.DefaultConfig())}, req)
		if resp.Allowed || resp.UID != "uid-1" {
			t.Fatalf("dryRun=%v: allowed=%v uid=%q", dryRun, resp.Allowed, resp.UID)
		}
		want := &metav1.Status{
			Status: metav1.StatusFailure,
			Code:   http.StatusUnprocessableEntity,
			Reason: metav1.StatusReasonInvalid,
			Message: `VirtualMachine.kubevirt.io "vm1" is invalid: [` +
				`spec.template.spec.domain.devices.interfaces[1].state: Invalid value: "linkDown": ` + msgSRIOV + `, ` +
				`spec.template.spec.domain.devices.interfaces[2].state: Unsupported value: "sideways": supported values: "linkUp", "linkDown", "absent", "up", "down"]`,
			Details: &metav1.StatusDetails{
				Name: "vm1", Group: "kubevirt.io", Kind: "VirtualMachine",
				Causes: []metav1.StatusCause{
					{Type: metav1.CauseTypeFieldValueInvalid, Field: "spec.template.spec.domain.devices.interfaces[1].state",
						Message: `Invalid value: "linkDown": ` + msgSRIOV},
					{Type: metav1.CauseTypeFieldValueNotSupported, Field: "spec.template.spec.domain.devices.interfaces[2].state",
						Message: `Unsupported value: "sideways": supported values: "linkUp", "linkDown", "absent", "up", "down"`},
				},
			},
		}
		if diff := cmp.Diff(want, resp.Result); diff != "" {
			t.Errorf("dryRun=%v: status (-want +got):\n%s", dryRun, diff)
		}
		// Warnings still reach the user when the request is denied.
		if len(resp.Warnings) != 1 || !strings.HasSuffix(resp.Warnings[0], msgDefaultNetDown) {
			t.Errorf("dryRun=%v: warnings = %q, want the P1 warning", dryRun, resp.Warnings)
		}
	}
}

func TestHandlerAllowsWithWarnings(t *testing.T) {
	resp := handle(&Reviewer{Kind: linkstate.VirtualMachineInstance, Rules: linkstate.Static(linkstate.DefaultConfig())},
		request(linkstate.VirtualMachineInstance, admissionv1.Create, vmiPodDown, ""))
	want := []string{"spec.domain.devices.interfaces[0].state: " + msgDefaultNetDown}
	if !resp.Allowed || resp.Result.Code != http.StatusOK {
		t.Fatalf("allowed=%v result=%v", resp.Allowed, resp.Result)
	}
	if diff := cmp.Diff(want, resp.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// T1 through the handler: the old object's status decides whether the VM runs.
func TestHandlerRunningVMUpdate(t *testing.T) {
	h := &Reviewer{Kind: linkstate.VirtualMachine, Rules: linkstate.Static(linkstate.DefaultConfig())}
	replugged := strings.Replace(vmRunningUnplugged, `"state":"absent"`, `"state":"linkUp"`, 1)
	resp := handle(h, request(linkstate.VirtualMachine, admissionv1.Update, replugged, vmRunningUnplugged))
	if resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity || len(resp.Result.Details.Causes) != 1 ||
		resp.Result.Details.Causes[0].Type != metav1.CauseTypeForbidden {
		t.Fatalf("running VM, absent -> linkUp: allowed=%v result=%+v", resp.Allowed, resp.Result)
	}
	stopped := strings.Replace(vmRunningUnplugged, `"created":true,"printableStatus":"Running"`, `"printableStatus":"Stopped"`, 1)
	if resp := handle(h, request(linkstate.VirtualMachine, admissionv1.Update, replugged, stopped)); !resp.Allowed {
		t.Errorf("stopped VM, absent -> linkUp: want allowed, got %v", resp.Result)
	}
}

func TestHandlerBadRequests(t *testing.T) {
	h := &Reviewer{Kind: linkstate.VirtualMachineInstance, Rules: linkstate.Static(linkstate.DefaultConfig())}
	wrongKind := request(linkstate.VirtualMachineInstance, admissionv1.Create, vmiPodDown, "")
	wrongKind.Kind.Kind = "VirtualMachine"
	tests := map[string]struct {
		req  admission.Request
		want string
	}{
		"malformed object": {request(linkstate.VirtualMachineInstance, admissionv1.Create, `{"spec":{"domain":`, ""), "cannot read VirtualMachineInstance"},
		"empty object":     {request(linkstate.VirtualMachineInstance, admissionv1.Create, "", ""), "no VirtualMachineInstance in the request"},
		"wrong kind":       {wrongKind, `this endpoint serves VirtualMachineInstance.kubevirt.io, not "kubevirt.io/v1, Kind=VirtualMachine"`},
		"bad old object":   {request(linkstate.VirtualMachineInstance, admissionv1.Update, vmiPodDown, `[`), "old object: cannot read VirtualMachineInstance"},
		"missing old one":  {request(linkstate.VirtualMachineInstance, admissionv1.Update, vmiPodDown, ""), "old object: no VirtualMachineInstance"},
		"huge number":      {request(linkstate.VirtualMachineInstance, admissionv1.Create, `{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","acpiIndex":1e999}]}}}}`, ""), "cannot read VirtualMachineInstance"},
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

func TestHandlerNotJudged(t *testing.T) {
	h := &Reviewer{Kind: linkstate.VirtualMachineInstance, Rules: linkstate.Static(linkstate.DefaultConfig())}
	status := request(linkstate.VirtualMachineInstance, admissionv1.Update, `garbage`, `garbage`)
	status.SubResource = "status"
	for name, req := range map[string]admission.Request{
		"delete":      request(linkstate.VirtualMachineInstance, admissionv1.Delete, "", vmiPodDown),
		"connect":     request(linkstate.VirtualMachineInstance, admissionv1.Connect, "", ""),
		"subresource": status,
	} {
		if resp := handle(h, req); !resp.Allowed || len(resp.Warnings) != 0 {
			t.Errorf("%s: allowed=%v warnings=%v, want a plain allow", name, resp.Allowed, resp.Warnings)
		}
	}
}
