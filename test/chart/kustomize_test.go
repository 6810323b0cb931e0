package chart

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

var defaultConfigDir = filepath.Join(harness.Root(), "config", "default")

// kubectl is the one in KUBEBUILDER_ASSETS (hack/envtest-assets.sh puts it there). Its
// built-in kustomize is what `kubectl apply -k config/default` uses, so it is the one tested.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make chart-test`, or " +
			"`export KUBEBUILDER_ASSETS=$(./hack/envtest-assets.sh)` (it provides kubectl, and builds kube-apiserver and etcd once)")
	}
	cmd := exec.Command(filepath.Join(assets, "kubectl"), args...)
	// kubectl caches discovery under $HOME unless told otherwise.
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func kustomizeBuild(t *testing.T) objects {
	t.Helper()
	objs, err := parseObjects(kubectl(t, "kustomize", defaultConfigDir))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// `kubectl apply -k config/default` as the README says: the real API server accepts every
// object (cert-manager's CRDs validate the certificates), and `kubectl delete -k` removes
// the webhooks again.
func TestKustomizeDefaultInstalls(t *testing.T) {
	c := apiServer(t)
	built := kustomizeBuild(t)
	kubectl(t, "apply", "-k", defaultConfigDir, "--kubeconfig", c.kubeconfig)
	for _, o := range built {
		stored := c.getObject(t, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		if o.GroupVersionKind().Group == "cert-manager.io" {
			if diff := cmp.Diff(o.Object["spec"], stored.Object["spec"]); diff != "" {
				t.Errorf("%s %s: stored spec differs from config/ (-config +stored):\n%s", o.GetKind(), o.GetName(), diff)
			}
		}
	}
	for _, kind := range []string{"CustomResourceDefinition", "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Service", "Deployment",
		"PodDisruptionBudget", "Issuer", "Certificate", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} {
		if len(built.ofKind(kind)) == 0 {
			t.Errorf("config/default has no %s", kind)
		}
	}

	// envtest runs no namespace controller, so the namespace itself would stay Terminating:
	// do not wait for it, check the rest.
	kubectl(t, "delete", "-k", defaultConfigDir, "--kubeconfig", c.kubeconfig, "--wait=false")
	for _, o := range built {
		if o.GetKind() != "Namespace" {
			c.waitGone(t, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		}
	}
	// The LinkStatePolicy CRD went with it: give the cluster its own back.
	c.restoreCRD(t)
}

// The chart, installed as release linkstate-webhook in linkstate-webhook-system with default
// values, renders what config/default ships: the same objects, and the same content
// wherever it matters (labels differ: the chart adds Helm's and the release's).
func TestChartMatchesKustomizeConfig(t *testing.T) {
	config := kustomizeBuild(t)
	chart := render(t, shippedRelease, shippedNamespace, "")

	key := func(o *unstructured.Unstructured) string {
		return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
	}
	var configKeys, chartKeys []string
	for _, o := range config {
		if o.GetKind() != "Namespace" { // helm install --create-namespace makes it
			configKeys = append(configKeys, key(o))
		}
	}
	for _, o := range chart {
		if o.GetAnnotations()["helm.sh/hook"] == "" { // the `helm test` Pod is the chart's own
			chartKeys = append(chartKeys, key(o))
		}
	}
	slices.Sort(configKeys)
	slices.Sort(chartKeys)
	if diff := cmp.Diff(configKeys, chartKeys); diff != "" {
		t.Errorf("objects differ (-config/default +chart):\n%s", diff)
	}

	same := func(kind, name string, path ...string) {
		t.Helper()
		fromConfig, fromChart := config.find(kind, name), chart.find(kind, name)
		if fromConfig == nil || fromChart == nil {
			return // reported above
		}
		want, _, _ := unstructured.NestedFieldNoCopy(fromConfig.Object, path...)
		got, _, _ := unstructured.NestedFieldNoCopy(fromChart.Object, path...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s %s (-config/default +chart):\n%s", kind, name, strings.Join(path, "."), diff)
		}
	}
	// kustomize (kyaml) adds a blank line where a folded matchCondition expression has a
	// more-indented line; for CEL that is whitespace. TestWebhooksMatchShippedConfig compares
	// the exact text with config/webhook itself.
	for _, objs := range []objects{config, chart} {
		for _, o := range append(objs.ofKind("MutatingWebhookConfiguration"), objs.ofKind("ValidatingWebhookConfiguration")...) {
			collapseExpressionWhitespace(t, o)
		}
	}
	same("MutatingWebhookConfiguration", "linkstate-webhook-mutating", "webhooks")
	same("ValidatingWebhookConfiguration", "linkstate-webhook-validating", "webhooks")
	same("MutatingWebhookConfiguration", "linkstate-webhook-mutating", "metadata", "annotations", injectCAAnnotation)
	same("ValidatingWebhookConfiguration", "linkstate-webhook-validating", "metadata", "annotations", injectCAAnnotation)
	for _, o := range append(config.ofKind("Certificate"), config.ofKind("Issuer")...) {
		same(o.GetKind(), o.GetName(), "spec")
	}
	same("ValidatingAdmissionPolicy", "linkstate-webhook-optout", "spec")
	same("ValidatingAdmissionPolicyBinding", "linkstate-webhook-optout", "spec")
	same("ClusterRole", "linkstate-webhook", "rules")
	same("CustomResourceDefinition", policyCRD, "spec")
	same("ClusterRoleBinding", "linkstate-webhook", "roleRef")
	same("ClusterRoleBinding", "linkstate-webhook", "subjects")
	same("Service", "linkstate-webhook", "spec", "ports")
	same("Service", "linkstate-webhook-metrics", "spec", "ports")
	same("PodDisruptionBudget", "linkstate-webhook", "spec", "maxUnavailable")
	same("Deployment", "linkstate-webhook", "spec", "replicas")
	same("Deployment", "linkstate-webhook", "spec", "strategy")

	// The pod: identical but for the label selectors, which the chart narrows to the release.
	configDeployment := decode[appsv1.Deployment](t, config.get(t, "Deployment", "linkstate-webhook"))
	chartDeployment := decode[appsv1.Deployment](t, chart.get(t, "Deployment", "linkstate-webhook"))
	configPod, chartPod := configDeployment.Spec.Template.Spec, chartDeployment.Spec.Template.Spec
	for _, spread := range [][]corev1.TopologySpreadConstraint{configPod.TopologySpreadConstraints, chartPod.TopologySpreadConstraints} {
		for i := range spread {
			spread[i].LabelSelector = nil
		}
	}
	if diff := cmp.Diff(configPod, chartPod); diff != "" {
		t.Errorf("pod spec (-config/default +chart):\n%s", diff)
	}
	// The chart's selectors are the config's plus the release label.
	for _, kind := range []string{"Service", "PodDisruptionBudget", "Deployment"} {
		configSelector := selectorLabels(t, config.get(t, kind, "linkstate-webhook"))
		chartSelector := selectorLabels(t, chart.get(t, kind, "linkstate-webhook"))
		for k, v := range configSelector {
			if chartSelector[k] != v {
				t.Errorf("%s selector: config/default selects %s=%s, the chart %v", kind, k, v, chartSelector)
			}
		}
	}
	configPodLabels := labels.Set(configDeployment.Spec.Template.Labels)
	if !labels.SelectorFromSet(selectorLabels(t, config.get(t, "Service", "linkstate-webhook"))).Matches(configPodLabels) {
		t.Errorf("config/default's Service does not select its pods %v", configPodLabels)
	}
}

func selectorLabels(t *testing.T, o *unstructured.Unstructured) map[string]string {
	t.Helper()
	path := []string{"spec", "selector", "matchLabels"}
	if o.GetKind() == "Service" {
		path = []string{"spec", "selector"}
	}
	selector, found, err := unstructured.NestedStringMap(o.Object, path...)
	if err != nil || !found {
		t.Fatalf("%s %s has no %s: %v", o.GetKind(), o.GetName(), strings.Join(path, "."), err)
	}
	return selector
}

func collapseExpressionWhitespace(t *testing.T, configuration *unstructured.Unstructured) {
	t.Helper()
	webhooks, _, err := unstructured.NestedSlice(configuration.Object, "webhooks")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range webhooks {
		conditions, _, _ := unstructured.NestedSlice(w.(map[string]any), "matchConditions")
		for _, c := range conditions {
			condition := c.(map[string]any)
			condition["expression"] = strings.Join(strings.Fields(condition["expression"].(string)), " ")
		}
		if conditions != nil {
			if err := unstructured.SetNestedSlice(w.(map[string]any), conditions, "matchConditions"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := unstructured.SetNestedSlice(configuration.Object, webhooks, "webhooks"); err != nil {
		t.Fatal(err)
	}
}
