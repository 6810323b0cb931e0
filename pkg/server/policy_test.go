package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
)

// staticPolicies compiles policy manifests into a Source.
func staticPolicies(t testing.TB, manifests ...string) policy.Static {
	t.Helper()
	var ps []*policy.Policy
	for _, m := range manifests {
		p := &v1alpha1.LinkStatePolicy{}
		if err := yaml.UnmarshalStrict([]byte(m), p); err != nil {
			t.Fatal(err)
		}
		c, err := policy.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, c)
	}
	return policy.Static{Set: policy.NewSet(ps...), Namespaces: map[string]map[string]string{"ns": {"tenant": "true"}}}
}

// reviewVM posts a VM create by user to h and returns the AdmissionResponse.
func reviewVM(t *testing.T, h http.Handler, user, object string) *admissionv1.AdmissionResponse {
	t.Helper()
	body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","namespace":"ns",` +
		`"userInfo":{"username":"` + user + `","groups":["system:authenticated"]},` +
		`"kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},"object":` + object + `}}`
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, PathValidateVM, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out.Response
}

const unplugVM = `{"metadata":{"name":"v","namespace":"ns"},"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[
	{"name":"a","masquerade":{},"state":"linkUp"},{"name":"b","bridge":{},"state":"absent"}]}},
	"networks":[{"name":"a","pod":{}},{"name":"b","multus":{"networkName":"x"}}]}}}}`

// The served handlers apply the policies: an Audit-mode finding changes nothing in the
// answer but its audit annotation, and is counted with effect audit; an enforced one is
// counted as a denial of its rule.
func TestServedHandlersApplyPolicies(t *testing.T) {
	src := staticPolicies(t,
		`{metadata: {name: watch}, spec: {mode: Audit, allowedStates: [up, down]}}`,
		`{metadata: {name: strict}, spec: {namespaceSelector: {matchLabels: {tenant: "true"}}, allowedStates: [up, down], exemptions: {users: [bot]}}}`,
	)
	h := Handlers(linkstate.Static(linkstate.DefaultConfig()), migration.Options{VMIs: migration.VMISet{}, LookupTimeout: time.Second}, src)[PathValidateVM]

	deniedBefore, auditBefore := value("findings/L1/deny"), value("findings/L1/audit")
	resp := reviewVM(t, h, "alice", unplugVM)
	if resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(resp.Result.Message, `LinkStatePolicy "strict": L1: state "absent" (hot-unplug)`) {
		t.Errorf("alice: %+v, want the strict policy's denial", resp.Result)
	}
	// Strictest wins: the denial, not the audit record, for the same finding.
	if resp.AuditAnnotations != nil {
		t.Errorf("alice: audit annotations %v, want none", resp.AuditAnnotations)
	}
	if got := value("findings/L1/deny") - deniedBefore; got != 1 {
		t.Errorf(`findings{rule="L1",effect="deny"} increased by %v, want 1`, got)
	}

	// The bot is exempt from strict: only the audit record is left.
	resp = reviewVM(t, h, "bot", unplugVM)
	want := map[string]string{policy.AuditAnnotation: `["spec.template.spec.domain.devices.interfaces[1].state: LinkStatePolicy \"watch\" (Audit): ` +
		`L1 would deny: state \"absent\" (hot-unplug) is not among the states this policy allows: up and down"]`}
	if !resp.Allowed || len(resp.Warnings) != 0 {
		t.Errorf("bot: allowed %v, warnings %q; want a silent admission", resp.Allowed, resp.Warnings)
	}
	if diff := cmp.Diff(want, resp.AuditAnnotations); diff != "" {
		t.Errorf("bot: audit annotations (-want +got):\n%s", diff)
	}
	if got := value("findings/L1/audit") - auditBefore; got != 1 {
		t.Errorf(`findings{rule="L1",effect="audit"} increased by %v, want 1`, got)
	}
}

type unloadedPolicies struct{}

func (unloadedPolicies) Policies(context.Context) (*policy.Set, error) {
	return nil, errors.New("LinkStatePolicies not loaded: the manager has not started")
}

func (unloadedPolicies) NamespaceLabels(context.Context, string) (labels.Set, error) {
	return nil, errors.New("not loaded")
}

// Without the policies a request is answered with an error (failurePolicy decides), never
// judged by the built-in rules alone.
func TestNoVerdictWithoutThePolicies(t *testing.T) {
	h := Handlers(linkstate.Static(linkstate.DefaultConfig()), migration.Options{VMIs: migration.VMISet{}, LookupTimeout: time.Second}, unloadedPolicies{})[PathValidateVM]
	before := value("decisions/validate-kubevirt-io-v1-virtualmachine/CREATE/errored")
	resp := reviewVM(t, h, "alice", unplugVM)
	if resp.Allowed || resp.Result.Code != http.StatusServiceUnavailable || !strings.Contains(resp.Result.Message, "LinkStatePolicies not loaded") {
		t.Errorf("answer %+v, want a 503 naming the policies", resp.Result)
	}
	if got := value("decisions/validate-kubevirt-io-v1-virtualmachine/CREATE/errored") - before; got != 1 {
		t.Errorf("errored decisions increased by %v, want 1", got)
	}
}
