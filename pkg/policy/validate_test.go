package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
)

// read decodes a policy manifest, failing on fields the type does not have.
func read(t *testing.T, manifest string) *v1alpha1.LinkStatePolicy {
	t.Helper()
	p := &v1alpha1.LinkStatePolicy{}
	if err := yaml.UnmarshalStrict([]byte(manifest), p); err != nil {
		t.Fatalf("bad test manifest: %v\n%s", err, manifest)
	}
	return p
}

func TestValidateAcceptsTheIssuesExample(t *testing.T) {
	p := read(t, `
metadata: {name: tenants}
spec:
  mode: Enforce
  namespaceSelector: {matchLabels: {tenant: "true"}}
  objectSelector: {}
  allowedStates: [up, down]
  protectedNetworks: [pod, storage, netops/storage]
  rules: {P1: Deny, B1: Deny, B3: Warn}
  exemptions: {users: ["system:serviceaccount:netops:bot"], groups: [netops]}
  message: "ask #netops for exceptions"`)
	if errs := Validate(p); len(errs) > 0 {
		t.Errorf("Validate: %v", errs)
	}
}

// Every refusal of the CRD, in its words. test/policy sends the same manifests to a real
// API server (TestSchemaRejections).
func TestValidateRefusesWhatTheCRDRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		want       field.ErrorList
	}{
		{"unknown rule ID", `rules: {P1: Deny, X9: Deny}`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "rules"), "object", msgRuleUnknown)}},
		{"relaxing V1", `rules: {V1: Warn}`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "rules"), "object", msgRuleRelaxed)}},
		{"relaxing B1, A1 and A2 is one error", `rules: {B1: Warn, A1: Warn, A2: Warn}`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "rules"), "object", msgRuleRelaxed)}},
		{"an effect that is neither Deny nor Warn", `rules: {P1: Block}`,
			field.ErrorList{field.NotSupported(field.NewPath("spec", "rules", "P1"), v1alpha1.Effect("Block"), []string{"Deny", "Warn"})}},
		{"empty protected network", `protectedNetworks: [pod, ""]`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "protectedNetworks").Index(1), "string", msgNetworkEmpty)}},
		{"malformed protected network", `protectedNetworks: [Pod, a/b/c]`,
			field.ErrorList{
				field.Invalid(field.NewPath("spec", "protectedNetworks").Index(0), "string", "'Pod'"+msgNetworkName),
				field.Invalid(field.NewPath("spec", "protectedNetworks").Index(1), "string", "'a/b/c'"+msgNetworkName),
			}},
		{"duplicate protected network", `protectedNetworks: [pod, pod]`,
			field.ErrorList{field.Duplicate(field.NewPath("spec", "protectedNetworks").Index(1), v1alpha1.NetworkName("pod"))}},
		{"no allowed state", `allowedStates: []`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "allowedStates"), "array", msgAllowedStatesEmpty)}},
		{"a dialect's spelling as an allowed state", `allowedStates: [linkDown]`,
			field.ErrorList{field.NotSupported(field.NewPath("spec", "allowedStates").Index(0), v1alpha1.State("linkDown"), []string{"up", "down", "absent"})}},
		{"unknown mode", `mode: Enforcing`,
			field.ErrorList{field.NotSupported(field.NewPath("spec", "mode"), v1alpha1.Mode("Enforcing"), []string{"Enforce", "Warn", "Audit"})}},
		{"selector operator", `namespaceSelector: {matchExpressions: [{key: tier, operator: Equals, values: [a]}]}`,
			field.ErrorList{field.NotSupported(field.NewPath("spec", "namespaceSelector", "matchExpressions").Index(0).Child("operator"),
				metav1.LabelSelectorOperator("Equals"), []string{"In", "NotIn", "Exists", "DoesNotExist"})}},
		{"In without values", `objectSelector: {matchExpressions: [{key: tier, operator: In}]}`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "objectSelector", "matchExpressions").Index(0), "object", "operator In needs at least one value")}},
		{"Exists with values", `objectSelector: {matchExpressions: [{key: tier, operator: Exists, values: [a]}]}`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "objectSelector", "matchExpressions").Index(0), "object", "operator Exists takes no values")}},
		{"selector key", `namespaceSelector: {matchExpressions: [{key: "a..b/tier", operator: Exists}]}`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "namespaceSelector", "matchExpressions").Index(0).Child("key"), "string", "'a..b/tier'"+msgLabelKey)}},
		{"selector value", `namespaceSelector: {matchLabels: {tenant: "tr ue"}}`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "namespaceSelector", "matchLabels").Key("tenant"), "string", "'tr ue'"+msgLabelValue)}},
		{"empty exempt user", `exemptions: {users: [""]}`,
			field.ErrorList{field.Invalid(field.NewPath("spec", "exemptions", "users").Index(0), "", msgEmptyString)}},
		{"message too long", `message: ` + strings.Repeat("x", 1025),
			field.ErrorList{field.TooLong(field.NewPath("spec", "message"), "", 1024)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Validate(read(t, "metadata: {name: p}\nspec:\n  "+tc.spec))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}
