package validate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

const (
	ifacesKey   = linkstate.AnnotationInterfaces
	observedKey = linkstate.AnnotationObserved
)

func TestMigrationUpdate(t *testing.T) {
	stamped := map[string]string{ifacesKey: `{"a":"linkUp"}`, observedKey: `{}`, "other": "x"}
	path := func(k string) *field.Path { return field.NewPath("metadata", "annotations").Key(k) }
	tests := map[string]struct {
		new  map[string]string
		want Findings
	}{
		"unchanged, other annotations edited": {new: map[string]string{ifacesKey: `{"a":"linkUp"}`, observedKey: `{}`, "other": "y"}},
		"changed": {new: map[string]string{ifacesKey: `{"a":"linkDown"}`, observedKey: `{}`},
			want: Findings{deny(RuleMigrationStamp, field.Forbidden(path(ifacesKey), msgStampImmutable))}},
		"removed": {new: map[string]string{ifacesKey: `{"a":"linkUp"}`},
			want: Findings{deny(RuleMigrationStamp, field.Forbidden(path(observedKey), msgStampImmutable))}},
		"all annotations dropped": {new: nil, want: Findings{
			deny(RuleMigrationStamp, field.Forbidden(path(ifacesKey), msgStampImmutable)),
			deny(RuleMigrationStamp, field.Forbidden(path(observedKey), msgStampImmutable)),
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, MigrationUpdate(tc.new, stamped)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if fs := MigrationUpdate(map[string]string{ifacesKey: "{}"}, nil); len(fs) != 1 {
		t.Errorf("adding a stamp after create: findings %v, want one", fs)
	}
}

func TestMigrationCreate(t *testing.T) {
	stamp := map[string]string{ifacesKey: `{"a":"linkUp"}`, observedKey: `{"a":"up"}`}
	path := func(k string) *field.Path { return field.NewPath("metadata", "annotations").Key(k) }
	tests := map[string]struct {
		annotations, stamp map[string]string
		want               Findings
	}{
		"as stamped":                  {annotations: stamp, stamp: stamp},
		"no stamp claimed, no VMI":    {annotations: map[string]string{"x": "y"}},
		"only one key, and it agrees": {annotations: map[string]string{ifacesKey: `{"a":"linkUp"}`}, stamp: stamp},
		"forged": {annotations: map[string]string{ifacesKey: `{"a":"linkDown"}`}, stamp: stamp,
			want: Findings{deny(RuleMigrationStamp, field.Invalid(path(ifacesKey), `{"a":"linkDown"}`, fmt.Sprintf(msgStampForged, "vm1", `{"a":"linkUp"}`)))}},
		"claimed for a VMI that does not exist": {annotations: stamp,
			want: Findings{
				deny(RuleMigrationStamp, field.Forbidden(path(ifacesKey), fmt.Sprintf(msgStampNoVMI, "vm1"))),
				deny(RuleMigrationStamp, field.Forbidden(path(observedKey), fmt.Sprintf(msgStampNoVMI, "vm1"))),
			}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, MigrationCreate(tc.annotations, "vm1", tc.stamp)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestExemptions(t *testing.T) {
	e := ParseExemptions([]string{"system:serviceaccount:kubevirt:kubevirt-controller", "group:system:kubevirt-admins"})
	tests := map[string]struct {
		user authenticationv1.UserInfo
		want bool
	}{
		"listed user":    {authenticationv1.UserInfo{Username: "system:serviceaccount:kubevirt:kubevirt-controller"}, true},
		"listed group":   {authenticationv1.UserInfo{Username: "alice", Groups: []string{"x", "system:kubevirt-admins"}}, true},
		"tenant":         {authenticationv1.UserInfo{Username: "system:serviceaccount:tenant:default", Groups: []string{"system:serviceaccounts"}}, false},
		"name as group":  {authenticationv1.UserInfo{Username: "bob", Groups: []string{"system:serviceaccount:kubevirt:kubevirt-controller"}}, false},
		"prefix of name": {authenticationv1.UserInfo{Username: "system:serviceaccount:kubevirt:kubevirt-controller-evil"}, false},
	}
	for name, tc := range tests {
		if got := e.Exempt(tc.user); got != tc.want {
			t.Errorf("%s: Exempt = %v, want %v", name, got, tc.want)
		}
	}
}

type failingVMIs struct{}

func (failingVMIs) GetVMI(context.Context, string, string) (*linkstate.Object, error) {
	return nil, errors.New("connection refused")
}

func TestMigrationHandler(t *testing.T) {
	vmi := &linkstate.Object{Kind: linkstate.VirtualMachineInstance, Namespace: "ns", Name: "vm1"}
	vmi.Spec.Domain.Devices.Interfaces = []v1.Interface{{Name: "sec", State: "linkDown"}}
	set := review.VMISet{}
	set.Add(vmi)
	migration := func(annotations string) string {
		return `{"metadata":{"name":"m","namespace":"ns","annotations":` + annotations + `},"spec":{"vmiName":"vm1"}}`
	}
	good := migration(`{"linkstate.kubevirt.io/interfaces":"{\"sec\":\"linkDown\"}","linkstate.kubevirt.io/observed":"{}"}`)
	edited := migration(`{"linkstate.kubevirt.io/interfaces":"{\"sec\":\"linkUp\"}","linkstate.kubevirt.io/observed":"{}"}`)
	req := func(op admissionv1.Operation, obj, old, user string) admission.Request {
		r := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID: "u", Operation: op, Namespace: "ns", UserInfo: authenticationv1.UserInfo{Username: user},
			Kind: metav1.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachineInstanceMigration"},
		}}
		r.Object.Raw, r.OldObject.Raw = []byte(obj), []byte(old)
		return r
	}
	const tenant, controller = "system:serviceaccount:ns:default", "system:serviceaccount:kubevirt:kubevirt-controller"
	tests := map[string]struct {
		vmis    review.VMIGetter
		req     admission.Request
		allowed bool
		code    int32
		text    string
	}{
		"create as stamped":              {set, req(admissionv1.Create, good, "", tenant), true, 0, ""},
		"create without annotations":     {failingVMIs{}, req(admissionv1.Create, migration(`{}`), "", tenant), true, 0, ""},
		"create forged":                  {set, req(admissionv1.Create, edited, "", tenant), false, 422, `must be what linkstate-webhook stamps from VMI "vm1", {"sec":"linkDown"}`},
		"create forged by KubeVirt":      {set, req(admissionv1.Create, edited, "", controller), true, 0, ""},
		"create, VMI cannot be read":     {failingVMIs{}, req(admissionv1.Create, good, "", tenant), false, 500, "cannot check the link-state annotations"},
		"tenant edits the stamp":         {set, req(admissionv1.Update, edited, good, tenant), false, 422, "is stamped by linkstate-webhook from the VMI when the migration is created and cannot be changed afterwards"},
		"KubeVirt edits the stamp":       {set, req(admissionv1.Update, edited, good, controller), true, 0, ""},
		"tenant edits other annotations": {set, req(admissionv1.Update, migration(`{"linkstate.kubevirt.io/interfaces":"{\"sec\":\"linkDown\"}","linkstate.kubevirt.io/observed":"{}","x":"y"}`), good, tenant), true, 0, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := &MigrationHandler{Config: linkstate.DefaultConfig(), VMIs: tc.vmis, LookupTimeout: time.Second, Exempt: ParseExemptions(DefaultExemptUsers)}
			resp := handle(h, tc.req)
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (%v)", resp.Allowed, tc.allowed, resp.Result)
			}
			if !tc.allowed && (resp.Result.Code != tc.code || !strings.Contains(resp.Result.Message, tc.text)) {
				t.Errorf("code=%d message=%q, want %d containing %q", resp.Result.Code, resp.Result.Message, tc.code, tc.text)
			}
			if tc.code == http.StatusUnprocessableEntity && resp.Result.Details.Causes[0].Field != "metadata.annotations[linkstate.kubevirt.io/interfaces]" {
				t.Errorf("cause field = %q", resp.Result.Details.Causes[0].Field)
			}
		})
	}
}
