package chart

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/cel"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The API versions a cluster with admission policies serves, as `helm template` is told them.
var (
	servesValidatingPolicies = []string{"--api-versions", "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy"}
	servesMutatingPolicies   = []string{"--api-versions", "admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy"}
)

// templateWith runs `helm template` with extra flags.
func templateWith(t *testing.T, release, namespace, values string, flags ...string) (objects, error) {
	t.Helper()
	args := append([]string{"template", release, chartDir, "--namespace", namespace, "-f", valuesFile(t, values)}, flags...)
	out, err := runHelm(t, args...)
	if err != nil {
		return nil, err
	}
	return parseObjects(out)
}

// celOnly leaves out what the chart renders in every mode (the LinkStatePolicy CRD, the
// opt-out guard): what remains is the cel mode's own.
func celOnly(objs objects) objects {
	var out objects
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" || strings.HasSuffix(o.GetName(), "-optout") {
			continue
		}
		out = append(out, o)
	}
	return out
}

func kinds(objs objects) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// The chart carries the policies pkg/cel generates, byte for byte: `make cel-chart`
// writes them, and this fails when they are stale.
func TestChartPolicyFilesAreCurrent(t *testing.T) {
	want, err := cel.ChartFiles()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(chartDir, "files", "cel")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, e := range entries {
		onDisk = append(onDisk, e.Name())
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[e.Name()]) {
			t.Errorf("%s is not what pkg/cel generates: run `make cel-chart`", e.Name())
		}
	}
	var names []string
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	if diff := cmp.Diff(names, onDisk); diff != "" {
		t.Errorf("files/cel (-generated +on disk), run `make cel-chart`:\n%s", diff)
	}
}

// admission.mode=cel installs no Deployment, Service, certificate, webhook configuration,
// RBAC or test pod: only the policies, their bindings and the params (besides what every
// mode installs: the LinkStatePolicy CRD and the opt-out guard).
func TestCelModeRendersOnlyPolicies(t *testing.T) {
	objs, err := templateWith(t, "lw", "lw-system", "dialect: seed\nadmission: {mode: cel}", append(servesValidatingPolicies, servesMutatingPolicies...)...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ConfigMap", "CustomResourceDefinition", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
	if diff := cmp.Diff(want, kinds(objs)); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	objs, err = templateWith(t, "lw", "lw-system", "dialect: seed\nadmission: {mode: cel, mutating: false}", servesValidatingPolicies...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:1], kinds(objs)[:1]); diff != "" || slices.Contains(kinds(objs), "MutatingAdmissionPolicy") {
		t.Errorf("admission.mutating=false rendered %v", kinds(objs))
	}
}

// admission.mode=both: the policies judge VMs and VMIs, the webhook keeps only what they
// cannot do, the migrations.
func TestBothModeKeepsTheWebhookForMigrations(t *testing.T) {
	objs, err := templateWith(t, "lw", "lw-system", "dialect: seed\nadmission: {mode: both}", append(servesValidatingPolicies, servesMutatingPolicies...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"Deployment", "Service", "ValidatingAdmissionPolicy", "MutatingAdmissionPolicy", "ConfigMap"} {
		if len(objs.ofKind(kind)) == 0 {
			t.Errorf("no %s", kind)
		}
	}
	var webhooks []string
	for _, w := range decode[admissionregistrationv1.MutatingWebhookConfiguration](t, objs.get(t, "MutatingWebhookConfiguration", "lw-linkstate-webhook-mutating")).Webhooks {
		webhooks = append(webhooks, w.Name)
	}
	for _, w := range decode[admissionregistrationv1.ValidatingWebhookConfiguration](t, objs.get(t, "ValidatingWebhookConfiguration", "lw-linkstate-webhook-validating")).Webhooks {
		webhooks = append(webhooks, w.Name)
	}
	want := []string{"mvirtualmachineinstancemigration.linkstate.kubevirt.io", "vvirtualmachineinstancemigration.linkstate.kubevirt.io"}
	if diff := cmp.Diff(want, webhooks); diff != "" {
		t.Errorf("webhooks (-want +got):\n%s", diff)
	}
	// The default mode renders no policy at all.
	objs = render(t, "lw", "lw-system", "")
	if n := len(celOnly(objs).ofKind("ValidatingAdmissionPolicy")) + len(objs.ofKind("ConfigMap")); n != 0 {
		t.Errorf("admission.mode=webhook rendered %d policies or params", n)
	}
}

// The chart renders what `webhook cel` generates for the same settings and release: the
// same policies, bindings and params, whatever the dialect, settings and selectors.
func TestCelModeMatchesTheGenerator(t *testing.T) {
	for _, tc := range []struct {
		values string
		opts   func(*cel.Options)
	}{
		{values: "dialect: seed\nadmission: {mode: cel}", opts: func(*cel.Options) {}},
		{
			values: `admission: {mode: cel, mutating: false}
dialect: upstream
passtBinding: warn
unknownPlugins: deny
supportedPlugins: [zeta, alpha]
unsupportedPlugins: [legacy]
failurePolicy: Ignore
namespaceSelector: {matchLabels: {team: a}, matchExpressions: [{key: tier, operator: Exists}]}
objectSelector: {matchLabels: {judge: "yes"}}`,
			opts: func(o *cel.Options) {
				o.Config.Dialect, o.Config.PasstBinding, o.Config.UnknownPlugins = linkstate.Upstream, linkstate.ActionWarn, linkstate.ActionDeny
				if err := o.Config.SetPlugins([]string{"zeta", "alpha"}, []string{"legacy"}); err != nil {
					panic(err)
				}
				o.Mutating = false
				o.FailurePolicy = admissionregistrationv1.Ignore
				o.NamespaceSelector = &metav1.LabelSelector{
					MatchLabels:      map[string]string{"team": "a"},
					MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpExists}},
				}
				o.ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"judge": "yes"}}
			},
		},
	} {
		rendered, err := templateWith(t, shippedRelease, shippedNamespace, tc.values, append(servesValidatingPolicies, servesMutatingPolicies...)...)
		if err != nil {
			t.Fatal(err)
		}
		rendered = celOnly(rendered)
		opts := cel.DefaultOptions()
		opts.Namespace, opts.CreateNamespace = shippedNamespace, false
		tc.opts(&opts)
		generated, err := cel.Generate(opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(rendered) != len(generated.Objects()) {
			t.Errorf("%s: the chart renders %v, the generator %d objects", tc.values, rendered.names(), len(generated.Objects()))
		}
		for _, g := range generated.Objects() {
			kind := g.GetObjectKind().GroupVersionKind().Kind
			r := rendered.find(kind, g.GetName())
			if r == nil {
				t.Errorf("%s: the chart has no %s %s", tc.values, kind, g.GetName())
				continue
			}
			want, got := essentials(t, g), essentials(t, r)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: %s %s (-generated +chart):\n%s", tc.values, kind, g.GetName(), diff)
			}
		}
	}
}

// essentials is what an object does: its namespace, dialect annotation, spec or data, as
// JSON decodes them (so that the chart's YAML and the generator's structs compare).
func essentials(t *testing.T, o runtime.Object) map[string]any {
	t.Helper()
	u, ok := o.(*unstructured.Unstructured)
	if !ok {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			t.Fatal(err)
		}
		u = &unstructured.Unstructured{Object: m}
	}
	out := map[string]any{
		"namespace": u.GetNamespace(),
		"dialect":   u.GetAnnotations()[cel.DialectAnnotation],
		"spec":      u.Object["spec"],
		"data":      u.Object["data"],
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var normal map[string]any
	if err := json.Unmarshal(raw, &normal); err != nil {
		t.Fatal(err)
	}
	return normal
}

// Where the cluster lacks an API the policies need, the install fails saying what to do;
// `helm template` knows only what --api-versions and --kube-version tell it.
func TestCelModeRequirementsOnTemplate(t *testing.T) {
	for _, tc := range []struct {
		values string
		flags  []string
		want   string // "" for accepted
	}{
		{"dialect: seed\nadmission: {mode: cel}", nil, "needs the ValidatingAdmissionPolicy API (admissionregistration.k8s.io/v1"},
		{"dialect: seed\nadmission: {mode: cel}", servesValidatingPolicies, "needs the MutatingAdmissionPolicy API (admissionregistration.k8s.io/v1beta1), which this cluster does not serve: it takes Kubernetes >= 1.34 with --feature-gates=MutatingAdmissionPolicy=true"},
		{"dialect: seed\nadmission: {mode: both}", servesValidatingPolicies, "Set admission.mutating=false to install without defaulting"},
		{"dialect: seed\nadmission: {mode: cel, mutating: false}", servesValidatingPolicies, ""},
		{"dialect: seed\nadmission: {mode: cel, mutating: false}", append([]string{"--kube-version", "1.32.5"}, servesValidatingPolicies...), "admission.mode=cel needs Kubernetes >= 1.33"},
		{"dialect: seed\nadmission: {mode: cel, mutating: false}", append([]string{"--kube-version", "v1.33.1-gke.1"}, servesValidatingPolicies...), ""},
		{"dialect: seed\nadmission: {mode: cel}", append(servesValidatingPolicies, servesMutatingPolicies...), ""},
		// The chart's default dialect, auto, asks the cluster from the webhook: the policies cannot.
		{"admission: {mode: cel}", append(servesValidatingPolicies, servesMutatingPolicies...), "admission.mode=cel needs dialect seed (linkUp/linkDown, the patched images) or upstream (up/down, stock KubeVirt >= v1.5), not auto"},
		{"{dialect: none, admission: {mode: both}}", append(servesValidatingPolicies, servesMutatingPolicies...), "not none: the policies spell link states when they are generated"},
		{"admission: {mode: webhook}", nil, ""},
	} {
		_, err := templateWith(t, "lw", "lw-system", tc.values, tc.flags...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %v: refused: %v", tc.values, tc.flags, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %v: %v, want a refusal saying %q", tc.values, tc.flags, err, tc.want)
		}
	}
}

func TestCelModeSchema(t *testing.T) {
	for values, path := range map[string]string{
		"admission: {mode: policies}":  "/admission/mode",
		`admission: {mutating: "no"}`:  "/admission/mutating",
		"admission: {mutate: false}":   "/admission",
		"admission: {mode: cel, x: 1}": "/admission",
	} {
		_, err := template(t, "lw", "lw-system", values)
		if err == nil || !strings.Contains(err.Error(), "at '"+path) {
			t.Errorf("%s: %v, want a schema error at %s", values, err, path)
		}
	}
}

// Installed into an API server without MutatingAdmissionPolicy (the shared one has no
// feature gate), the cel mode refuses with its message, and installs without defaulting.
// (test/cel installs it, defaulting included, into an API server that has the gate.)
func TestCelModeInstallWithoutMutatingPolicies(t *testing.T) {
	c := apiServer(t)
	const release, namespace = "cel", "lw-cel"
	_, err := runHelm(t, "install", release, chartDir, "--namespace", namespace, "--create-namespace",
		"-f", valuesFile(t, "dialect: seed\nadmission: {mode: cel}"), "--kubeconfig", c.kubeconfig)
	if err == nil || !strings.Contains(err.Error(), "needs the MutatingAdmissionPolicy API") {
		t.Fatalf("install: %v, want the MutatingAdmissionPolicy refusal", err)
	}
	notes := install(t, c, release, namespace, "dialect: seed\nadmission: {mode: cel, mutating: false}")
	rendered := assertReleaseStored(t, c, release, namespace)
	if diff := cmp.Diff([]string{"ConfigMap", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}, kinds(celOnly(rendered))); diff != "" {
		t.Errorf("installed kinds (-want +got):\n%s", diff)
	}
	for _, s := range []string{"installed as admission policies", "without defaulting", "edit configmap cel-linkstate-webhook-cel-params", "Migrations are not stamped"} {
		if !strings.Contains(notes, s) {
			t.Errorf("NOTES do not say %q:\n%s", s, notes)
		}
	}
	if strings.Contains(notes, "rollout status") || strings.Contains(notes, "filled in as") {
		t.Errorf("NOTES speak of a webhook or of defaulting:\n%s", notes)
	}
	assertUninstallRemoves(t, c, release, namespace, rendered)
}
