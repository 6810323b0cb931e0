package migration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
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

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

const (
	ifacesKey   = AnnotationInterfaces
	observedKey = AnnotationObserved
)

func deny(err *field.Error) finding.Finding { return finding.Deny(finding.RuleMigrationStamp, err) }

func TestVerifyUpdate(t *testing.T) {
	stamped := map[string]string{ifacesKey: `{"a":"linkUp"}`, observedKey: `{}`, AnnotationSignature: "v1.a.b", "other": "x"}
	path := func(k string) *field.Path { return field.NewPath("metadata", "annotations").Key(k) }
	tests := map[string]struct {
		new  map[string]string
		want finding.Findings
	}{
		"unchanged, other annotations edited": {new: map[string]string{ifacesKey: `{"a":"linkUp"}`, observedKey: `{}`, AnnotationSignature: "v1.a.b", "other": "y"}},
		"changed": {new: map[string]string{ifacesKey: `{"a":"linkDown"}`, observedKey: `{}`, AnnotationSignature: "v1.a.b"},
			want: finding.Findings{deny(field.Forbidden(path(ifacesKey), msgStampImmutable))}},
		"removed": {new: map[string]string{ifacesKey: `{"a":"linkUp"}`, AnnotationSignature: "v1.a.b"},
			want: finding.Findings{deny(field.Forbidden(path(observedKey), msgStampImmutable))}},
		"signature changed": {new: map[string]string{ifacesKey: `{"a":"linkUp"}`, observedKey: `{}`, AnnotationSignature: "v1.a.c"},
			want: finding.Findings{deny(field.Forbidden(path(AnnotationSignature), msgStampImmutable))}},
		"all annotations dropped": {new: nil, want: finding.Findings{
			deny(field.Forbidden(path(ifacesKey), msgStampImmutable)),
			deny(field.Forbidden(path(observedKey), msgStampImmutable)),
			deny(field.Forbidden(path(AnnotationSignature), msgStampImmutable)),
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, VerifyUpdate(tc.new, stamped)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if fs := VerifyUpdate(map[string]string{ifacesKey: "{}"}, nil); len(fs) != 1 {
		t.Errorf("adding a stamp after create: findings %v, want one", fs)
	}
}

func TestVerifyCreate(t *testing.T) {
	stamp := &Stamp{Interfaces: `{"a":"linkUp"}`, Observed: `{"a":"up"}`}
	path := func(k string) *field.Path { return field.NewPath("metadata", "annotations").Key(k) }
	tests := map[string]struct {
		annotations map[string]string
		want        *Stamp
		findings    finding.Findings
	}{
		"as stamped":                      {annotations: stamp.Annotations(), want: stamp},
		"no stamp claimed, no VMI":        {annotations: map[string]string{"x": "y"}},
		"only one key, and it agrees":     {annotations: map[string]string{ifacesKey: `{"a":"linkUp"}`}, want: stamp},
		"a stale signature is not judged": {annotations: map[string]string{ifacesKey: `{"a":"linkUp"}`, AnnotationSignature: "v1.old.key"}, want: stamp},
		"forged": {annotations: map[string]string{ifacesKey: `{"a":"linkDown"}`}, want: stamp,
			findings: finding.Findings{deny(field.Invalid(path(ifacesKey), `{"a":"linkDown"}`, fmt.Sprintf(msgStampForged, "vm1", `{"a":"linkUp"}`)))}},
		"claimed for a VMI that does not exist": {annotations: stamp.Annotations(),
			findings: finding.Findings{
				deny(field.Forbidden(path(ifacesKey), fmt.Sprintf(msgStampNoVMI, "vm1"))),
				deny(field.Forbidden(path(observedKey), fmt.Sprintf(msgStampNoVMI, "vm1"))),
			}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.findings, VerifyCreate(tc.annotations, "vm1", tc.want)); diff != "" {
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

type unreachableVMIs struct{}

func (unreachableVMIs) GetVMI(context.Context, string, string) (*linkstate.Object, error) {
	return nil, errors.New("connection refused")
}

func validationRequest(op admissionv1.Operation, obj, old, user string) admission.Request {
	r := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "u", Operation: op, Namespace: "ns", UserInfo: authenticationv1.UserInfo{Username: user},
		Kind: metav1.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachineInstanceMigration"},
	}}
	r.Object.Raw, r.OldObject.Raw = []byte(obj), []byte(old)
	return r
}

func migrationWith(annotations string) string {
	return `{"metadata":{"name":"m","namespace":"ns","annotations":` + annotations + `},"spec":{"vmiName":"vm1"}}`
}

func TestValidator(t *testing.T) {
	vmi := &linkstate.Object{Kind: linkstate.VirtualMachineInstance, Namespace: "ns", Name: "vm1"}
	vmi.Spec.Domain.Devices.Interfaces = []v1.Interface{{Name: "sec", State: "linkDown"}}
	set := VMISet{}
	set.Add(vmi)
	good := migrationWith(`{"linkstate.kubevirt.io/interfaces":"{\"sec\":\"linkDown\"}","linkstate.kubevirt.io/observed":"{}"}`)
	edited := migrationWith(`{"linkstate.kubevirt.io/interfaces":"{\"sec\":\"linkUp\"}","linkstate.kubevirt.io/observed":"{}"}`)
	const tenant, controller = "system:serviceaccount:ns:default", "system:serviceaccount:kubevirt:kubevirt-controller"
	tests := map[string]struct {
		vmis    VMIGetter
		req     admission.Request
		allowed bool
		code    int32
		text    string
	}{
		"create as stamped":              {set, validationRequest(admissionv1.Create, good, "", tenant), true, 0, ""},
		"create without annotations":     {unreachableVMIs{}, validationRequest(admissionv1.Create, migrationWith(`{}`), "", tenant), true, 0, ""},
		"create forged":                  {set, validationRequest(admissionv1.Create, edited, "", tenant), false, 422, `must be what linkstate-webhook stamps from VMI "vm1", {"sec":"linkDown"}`},
		"create forged by KubeVirt":      {set, validationRequest(admissionv1.Create, edited, "", controller), true, 0, ""},
		"create, VMI cannot be read":     {unreachableVMIs{}, validationRequest(admissionv1.Create, good, "", tenant), false, 500, "cannot check the link-state annotations"},
		"tenant edits the stamp":         {set, validationRequest(admissionv1.Update, edited, good, tenant), false, 422, "is stamped by linkstate-webhook from the VMI when the migration is created and cannot be changed afterwards"},
		"KubeVirt edits the stamp":       {set, validationRequest(admissionv1.Update, edited, good, controller), true, 0, ""},
		"tenant edits other annotations": {set, validationRequest(admissionv1.Update, migrationWith(`{"linkstate.kubevirt.io/interfaces":"{\"sec\":\"linkDown\"}","linkstate.kubevirt.io/observed":"{}","x":"y"}`), good, tenant), true, 0, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := &Validator{Rules: linkstate.Static(linkstate.DefaultConfig()), Options: Options{VMIs: tc.vmis, LookupTimeout: time.Second, Exempt: ParseExemptions(DefaultExemptUsers)}}
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

// changingVMIs is a VMI whose status virt-handler rewrites between every two reads.
type changingVMIs struct{ reads int }

func (c *changingVMIs) GetVMI(context.Context, string, string) (*linkstate.Object, error) {
	c.reads++
	vmi := testVMI()
	vmi.Status = []v1.VirtualMachineInstanceNetworkInterface{{Name: "sec", LinkState: "down", IP: fmt.Sprintf("10.0.0.%d", c.reads)}}
	if c.reads%2 == 0 {
		vmi.Status[0].LinkState = "up" // the guest's link came up between the two webhook calls
	}
	return vmi, nil
}

// The race behind M2: the mutating webhook stamps, virt-handler writes the VMI's status,
// then the validating webhook sees the migration. A signed stamp goes through without a
// second read; an unsigned one is compared with a VMI that moved on, and denied.
func TestValidatorLetsRacesThroughAndKeepsForgeriesOut(t *testing.T) {
	signer := NewSigner([]byte("shared by the replicas"))
	stampThenValidate := func(t *testing.T, opts Options, tamper func(map[string]string)) (admission.Response, int) {
		vmis := &changingVMIs{}
		opts.VMIs, opts.LookupTimeout = vmis, time.Second
		create := `{"metadata":{"name":"m","namespace":"ns"},"spec":{"vmiName":"vm1"}}`
		stamped := (&Mutator{Rules: linkstate.Static(linkstate.DefaultConfig()), Options: opts}).Review(context.Background(), migrationRequest(admissionv1.Create, create))
		annotations := stamped.Patches[0].Value.(map[string]string)
		tamper(annotations)
		raw := fmt.Sprintf(`{"metadata":{"name":"m","namespace":"ns","annotations":%s},"spec":{"vmiName":"vm1"}}`, mustJSON(t, annotations))
		resp := handle(&Validator{Rules: linkstate.Static(linkstate.DefaultConfig()), Options: opts}, validationRequest(admissionv1.Create, raw, "", "tenant"))
		return resp, vmis.reads
	}
	untouched := func(map[string]string) {}
	t.Run("signed stamp, status changed in between: allowed, one read", func(t *testing.T) {
		resp, reads := stampThenValidate(t, Options{Signer: signer}, untouched)
		if !resp.Allowed || reads != 1 {
			t.Errorf("allowed=%v reads=%d (%v), want allowed after one read", resp.Allowed, reads, resp.Result)
		}
	})
	t.Run("unsigned stamp, status changed in between: compared, and denied", func(t *testing.T) {
		resp, reads := stampThenValidate(t, Options{}, untouched)
		if resp.Allowed || reads != 2 {
			t.Errorf("allowed=%v reads=%d, want denied after two reads", resp.Allowed, reads)
		}
	})
	t.Run("signed stamp with a forged value: denied", func(t *testing.T) {
		resp, _ := stampThenValidate(t, Options{Signer: signer}, func(a map[string]string) { a[ifacesKey] = `{"default":"linkUp","sec":"linkUp"}` })
		if resp.Allowed || !strings.Contains(resp.Result.Message, "must be what linkstate-webhook stamps") {
			t.Errorf("allowed=%v (%v), want the forgery denied", resp.Allowed, resp.Result)
		}
	})
	t.Run("a signature made with another key: denied", func(t *testing.T) {
		other := NewSigner([]byte("a tenant's guess"))
		resp, _ := stampThenValidate(t, Options{Signer: signer}, func(a map[string]string) {
			a[ifacesKey] = `{"default":"linkUp","sec":"linkUp"}`
			a[AnnotationSignature], _ = other.Sign("ns", "vm1", Claimed(a))
		})
		if resp.Allowed {
			t.Error("a stamp signed by another key was accepted")
		}
	})
}

func TestFileSignerKeepsKeysAcrossRenewal(t *testing.T) {
	path := t.TempDir() + "/tls.key"
	write := func(s string) {
		if err := writeFile(path, s); err != nil {
			t.Fatal(err)
		}
	}
	st := Stamp{Interfaces: `{"a":"linkUp"}`, Observed: `{}`}
	write("first key")
	mutating, validating := NewFileSigner(path), NewFileSigner(path)
	before, err := mutating.Sign("ns", "vm", st)
	if err != nil {
		t.Fatal(err)
	}
	if !validating.Verify("ns", "vm", st, before) {
		t.Fatal("a replica with the same key does not verify")
	}
	write("renewed key")
	if !validating.Verify("ns", "vm", st, before) {
		t.Error("a stamp signed just before the renewal no longer verifies")
	}
	after, _ := mutating.Sign("ns", "vm", st)
	if after == before || !validating.Verify("ns", "vm", st, after) {
		t.Errorf("after renewal: signature %q (was %q) must change and verify", after, before)
	}
	if NewFileSigner(path).Verify("ns", "vm", st, before) {
		t.Error("a replica started after the renewal verifies a key it never saw")
	}
	for _, bad := range []string{"", "v1", "v1..", "v2." + strings.SplitN(after, ".", 2)[1], after + "x"} {
		if validating.Verify("ns", "vm", st, bad) {
			t.Errorf("signature %q verified", bad)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
