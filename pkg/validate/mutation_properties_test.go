package validate_test

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/mutate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate/validatetest"
)

// TestMutationProperties runs the mutating then the validating handler over every row of
// the rule table, as a VM and as a VMI carrying fields kubevirt.io/api does not define, and
// checks the README's promises about mutation:
//   - the patch only adds or replaces interfaces/N/state, never removes anything;
//   - every other field, known to the Go types or not, survives byte-for-byte in meaning;
//   - mutation converges: the mutated object gets no further patch;
//   - mutation never makes an object invalid: the mutated object has no denial the
//     original did not have (so an allowed object stays allowed).
func TestMutationProperties(t *testing.T) {
	for name, tc := range validatetest.RuleCases {
		for _, kind := range []linkstate.Kind{linkstate.VirtualMachine, linkstate.VirtualMachineInstance} {
			t.Run(kind.GroupKind.Kind+"/"+name, func(t *testing.T) {
				cfg := tc.ConfigOf()
				original := objectWithUnknownFields(t, kind, tc)
				mutator := &mutate.Reviewer{Kind: kind, Rules: linkstate.Static(cfg)}
				validator := &validate.Reviewer{Kind: kind, Rules: linkstate.Static(cfg)}

				resp := mutator.Review(context.Background(), createRequest(kind, original))
				if !resp.Allowed {
					t.Fatalf("mutation refused: %v", resp.Result)
				}
				statePath := regexp.MustCompile("^" + regexp.QuoteMeta(kind.SpecPointer) + `/domain/devices/interfaces/\d+/state$`)
				for _, op := range resp.Patches {
					if op.Operation != "add" && op.Operation != "replace" {
						t.Errorf("patch op %q on %s: only add and replace are allowed", op.Operation, op.Path)
					}
					if !statePath.MatchString(op.Path) {
						t.Errorf("patch touches %s: only interfaces/N/state may be patched", op.Path)
					}
				}
				mutated := apply(t, original, resp.Patches)

				if diff := cmp.Diff(withoutStates(t, kind, original), withoutStates(t, kind, mutated)); diff != "" {
					t.Errorf("mutation changed more than states (-before +after):\n%s", diff)
				}

				again := mutator.Review(context.Background(), createRequest(kind, mutated))
				if len(again.Patches) != 0 {
					t.Errorf("mutation does not converge: second pass patched %v", again.Patches)
				}

				before := causeFields(validator.Review(context.Background(), createRequest(kind, original)).Response)
				after := causeFields(validator.Review(context.Background(), createRequest(kind, mutated)).Response)
				for f := range after {
					if !before[f] {
						t.Errorf("mutation made %s invalid", f)
					}
				}
			})
		}
	}
}

// objectWithUnknownFields renders the case as a VM or VMI and adds fields no kubevirt.io/api
// version defines, at the top, in the spec and in every interface.
func objectWithUnknownFields(t *testing.T, kind linkstate.Kind, tc validatetest.RuleCase) []byte {
	t.Helper()
	specJSON, err := json.Marshal(tc.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(specJSON, &spec); err != nil {
		t.Fatal(err)
	}
	spec["futureSpecField"] = map[string]any{"enabled": true}
	for _, iface := range interfaces(spec) {
		iface["futureInterfaceField"] = []any{"kept", 1.5}
	}
	obj := map[string]any{
		"apiVersion": "kubevirt.io/v1",
		"kind":       kind.GroupKind.Kind,
		"metadata":   map[string]any{"name": "test", "namespace": "ns", "labels": map[string]any{"app": "x"}},
		"futureTop":  "kept",
	}
	if kind == linkstate.VirtualMachine {
		obj["spec"] = map[string]any{"runStrategy": "Always", "futureVMField": 7.0, "template": map[string]any{"spec": spec}}
	} else {
		obj["spec"] = spec
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func createRequest(kind linkstate.Kind, raw []byte) admission.Request {
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "uid",
		Kind:      metav1.GroupVersionKind{Group: kind.GroupKind.Group, Version: "v1", Kind: kind.GroupKind.Kind},
		Operation: admissionv1.Create,
		Namespace: "ns",
	}}
	req.Object.Raw = raw
	return req
}

func apply(t *testing.T, raw []byte, ops any) []byte {
	t.Helper()
	encoded, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	if string(encoded) == "null" {
		return raw
	}
	patch, err := jsonpatch.DecodePatch(encoded)
	if err != nil {
		t.Fatalf("patch does not decode as RFC 6902: %v", err)
	}
	out, err := patch.Apply(raw)
	if err != nil {
		t.Fatalf("patch does not apply: %v", err)
	}
	return out
}

// withoutStates is the object as a generic map, minus every interface's state.
func withoutStates(t *testing.T, kind linkstate.Kind, raw []byte) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	spec := obj["spec"].(map[string]any)
	if kind == linkstate.VirtualMachine {
		spec = spec["template"].(map[string]any)["spec"].(map[string]any)
	}
	for _, iface := range interfaces(spec) {
		delete(iface, "state")
	}
	return obj
}

func interfaces(spec map[string]any) []map[string]any {
	domain, _ := spec["domain"].(map[string]any)
	devices, _ := domain["devices"].(map[string]any)
	list, _ := devices["interfaces"].([]any)
	var out []map[string]any
	for _, i := range list {
		out = append(out, i.(map[string]any))
	}
	return out
}

func causeFields(resp admission.Response) map[string]bool {
	fields := map[string]bool{}
	if resp.Allowed {
		return fields
	}
	if resp.Result == nil || resp.Result.Details == nil {
		fields["<no causes: "+resp.Result.Message+">"] = true
		return fields
	}
	for _, c := range resp.Result.Details.Causes {
		fields[c.Field] = true
	}
	return fields
}
