package cel

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

func generateYAML(t *testing.T, opts Options) string {
	t.Helper()
	p, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteYAML(&b, Header(opts), p.Objects()); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The same options give the same bytes: the output can be committed, diffed, and compared
// with the chart's.
func TestGenerateIsDeterministic(t *testing.T) {
	opts := DefaultOptions()
	if err := opts.Config.SetPlugins([]string{"c", "a", "b"}, []string{"z", "y"}); err != nil {
		t.Fatal(err)
	}
	first := generateYAML(t, opts)
	for range 5 {
		if again := generateYAML(t, opts); again != first {
			t.Fatal("two generations differ")
		}
	}
	if !strings.Contains(first, "supportedPlugins: a,b,c\n") || !strings.Contains(first, "unsupportedPlugins: y,z\n") {
		t.Errorf("plugin lists not sorted into the params:\n%s", first[:min(len(first), 2000)])
	}
}

func TestGenerateObjects(t *testing.T) {
	opts := DefaultOptions()
	p, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range p.Objects() {
		names = append(names, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
	}
	want := []string{
		"Namespace/linkstate-webhook-system",
		"ConfigMap/linkstate-webhook-cel-params",
		"ValidatingAdmissionPolicy/linkstate-webhook-cel-params",
		"ValidatingAdmissionPolicyBinding/linkstate-webhook-cel-params",
		"ValidatingAdmissionPolicy/linkstate-webhook-virtualmachine-deny",
		"ValidatingAdmissionPolicyBinding/linkstate-webhook-virtualmachine-deny",
		"ValidatingAdmissionPolicy/linkstate-webhook-virtualmachine-warn",
		"ValidatingAdmissionPolicyBinding/linkstate-webhook-virtualmachine-warn",
		"ValidatingAdmissionPolicy/linkstate-webhook-virtualmachineinstance-deny",
		"ValidatingAdmissionPolicyBinding/linkstate-webhook-virtualmachineinstance-deny",
		"ValidatingAdmissionPolicy/linkstate-webhook-virtualmachineinstance-warn",
		"ValidatingAdmissionPolicyBinding/linkstate-webhook-virtualmachineinstance-warn",
		"MutatingAdmissionPolicy/linkstate-webhook-virtualmachine-defaults",
		"MutatingAdmissionPolicyBinding/linkstate-webhook-virtualmachine-defaults",
		"MutatingAdmissionPolicy/linkstate-webhook-virtualmachineinstance-defaults",
		"MutatingAdmissionPolicyBinding/linkstate-webhook-virtualmachineinstance-defaults",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	for i, b := range p.ValidatingBindings {
		wantAction := admissionregistrationv1.Deny
		if i%2 == 1 {
			wantAction = admissionregistrationv1.Warn
		}
		if diff := cmp.Diff([]admissionregistrationv1.ValidationAction{wantAction}, b.Spec.ValidationActions); diff != "" {
			t.Errorf("%s: actions (-want +got): %s", b.Name, diff)
		}
		if r := b.Spec.ParamRef; r == nil || r.Name != "linkstate-webhook-cel-params" || r.Namespace != "linkstate-webhook-system" ||
			r.ParameterNotFoundAction == nil || *r.ParameterNotFoundAction != admissionregistrationv1.DenyAction {
			t.Errorf("%s: paramRef %+v", b.Name, r)
		}
	}
	for _, m := range p.Mutating {
		ops := m.Spec.MatchConstraints.ResourceRules[0].Operations
		if strings.Contains(m.Name, "instance") != (len(ops) == 1) {
			t.Errorf("%s: operations %v (VMIs are defaulted on create only)", m.Name, ops)
		}
	}

	opts.Mutating, opts.CreateNamespace = false, false
	if p, err = Generate(opts); err != nil {
		t.Fatal(err)
	}
	if len(p.Mutating) != 0 || len(p.MutatingBindings) != 0 || p.Namespace != nil {
		t.Error("--mutating=false and --create-namespace=false still generate them")
	}
}

// The caller's selectors narrow the bindings: added to the built-in namespace selector.
func TestSelectors(t *testing.T) {
	opts := DefaultOptions()
	opts.Namespace = "lw"
	opts.NamespaceSelector = &metav1.LabelSelector{
		MatchLabels:      map[string]string{"team": "a"},
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpExists}},
	}
	opts.ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"judge": "yes"}}
	p, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := &admissionregistrationv1.MatchResources{
		NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{"team": "a"},
			MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system", "lw"}},
				{Key: "linkstate.kubevirt.io/webhook", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"disabled"}},
				{Key: "tier", Operator: metav1.LabelSelectorOpExists},
			},
		},
		ObjectSelector: opts.ObjectSelector,
	}
	for _, b := range p.ValidatingBindings {
		if diff := cmp.Diff(want, b.Spec.MatchResources); diff != "" {
			t.Errorf("%s (-want +got):\n%s", b.Name, diff)
		}
	}
	if diff := cmp.Diff(want.NamespaceSelector, p.MutatingBindings[0].Spec.MatchResources.NamespaceSelector); diff != "" {
		t.Errorf("mutating binding (-want +got):\n%s", diff)
	}
	if got := p.ParamsGuardBinding.Spec.MatchResources.NamespaceSelector.MatchLabels; got["kubernetes.io/metadata.name"] != "lw" {
		t.Errorf("the guard watches %v, want namespace lw", got)
	}
}

func TestOptionsRefused(t *testing.T) {
	for name, change := range map[string]func(*Options){
		"namespace":       func(o *Options) { o.Namespace = "Not_A_Label" },
		"prefix":          func(o *Options) { o.Prefix = "Bad Prefix" },
		"long prefix":     func(o *Options) { o.Prefix = strings.Repeat("a", 250) },
		"empty prefix":    func(o *Options) { o.Prefix = "" },
		"failure policy":  func(o *Options) { o.FailurePolicy = "Sometimes" },
		"passt action":    func(o *Options) { o.Config.PasstBinding = "maybe" },
		"unknown plugins": func(o *Options) { o.Config.UnknownPlugins = "" },
		"plugin with comma": func(o *Options) {
			o.Config.Plugins = map[string]linkstate.PluginSupport{"a,b": linkstate.PluginSupported}
		},
		"dialect": func(o *Options) { o.Config.Dialect = "none" },
	} {
		opts := DefaultOptions()
		change(&opts)
		if _, err := Generate(opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Every rule text of the webhook is in the policies, word for word: split at its verbs,
// each literal piece is a CEL string in the output.
func TestEveryRuleTextIsUsed(t *testing.T) {
	out := generateYAML(t, DefaultOptions())
	verbs := regexp.MustCompile(`%[sq]`)
	texts := map[string]string{
		"SRIOV": validate.Texts.SRIOV, "PasstBinding": validate.Texts.PasstBinding,
		"PluginUnsupported": validate.Texts.PluginUnsupported, "PluginUnknown": validate.Texts.PluginUnknown,
		"AbsentBinding": validate.Texts.AbsentBinding, "AbsentNoBinding": validate.Texts.AbsentNoBinding,
		"AbsentModel": validate.Texts.AbsentModel, "AbsentDefault": validate.Texts.AbsentDefault,
		"DefaultNetDown": validate.Texts.DefaultNetDown, "AbsentIsFinal": validate.Texts.AbsentIsFinal,
		"HotplugNotBridged": validate.Texts.HotplugNotBridged,
	}
	// Said only in dialect none, which has no policies (Dialects).
	noneOnly := map[string]string{"NoLinkState": validate.Texts.NoLinkState}
	if n := len(texts) + len(noneOnly) + 1; n != reflectFields(validate.Texts) { // + AbsentDefaultNone, a prefix of AbsentDefault
		t.Fatalf("this test knows %d texts, validate.Texts has %d", n, reflectFields(validate.Texts))
	}
	for name, text := range noneOnly {
		if strings.Contains(out, text) {
			t.Errorf("%s, a text of dialect none only, is in the policies", name)
		}
	}
	for name, text := range texts {
		for _, piece := range verbs.Split(text, -1) {
			if len(piece) > 3 && !strings.Contains(out, strings.Trim(piece, " ")) {
				t.Errorf("%s: %q is not in the policies", name, piece)
			}
		}
	}
}

func reflectFields(v any) int { return reflect.TypeOf(v).NumField() }
