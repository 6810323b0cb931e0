package chart

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

var openReportsCRDs = []string{"reports.openreports.io", "clusterreports.openreports.io"}

// reportCRDs are the OpenReports CRDs among objs (the chart's own LinkStatePolicy CRD is
// not one).
func reportCRDs(objs objects) objects {
	var out objects
	for _, o := range objs.ofKind("CustomResourceDefinition") {
		if strings.HasSuffix(o.GetName(), ".openreports.io") {
			out = append(out, o)
		}
	}
	return out
}

// The chart's and config/'s copies of the OpenReports CRDs are the module's, byte for
// byte: github.com/openreports/reports-api is the module the binary writes Reports with.
func TestOpenReportsCRDsAreTheModules(t *testing.T) {
	module := moduleDir(t, "github.com/openreports/reports-api")
	for _, file := range []string{"openreports.io_reports.yaml", "openreports.io_clusterreports.yaml"} {
		want, err := os.ReadFile(filepath.Join(module, "config", "crd", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, copy := range []string{filepath.Join(harness.OpenReportsCRDs(), file), filepath.Join(harness.Root(), "config", "openreports", file)} {
			got, err := os.ReadFile(copy)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from %s: copy the module's file again", copy, filepath.Join(module, "config", "crd", file))
			}
		}
	}
}

// moduleDir is where the Go module cache holds module at the version go.mod requires.
func moduleDir(t *testing.T, module string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", module)
	cmd.Dir = harness.Root()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", module, err)
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		t.Fatalf("go mod download %s: %v (%s)", module, err, out)
	}
	return info.Dir
}

func deleteOpenReportsCRDs(t *testing.T, c *cluster) {
	t.Helper()
	for _, name := range openReportsCRDs {
		crd := &unstructured.Unstructured{}
		crd.SetGroupVersionKind(crdGVK)
		crd.SetName(name)
		if err := c.client.Delete(context.Background(), crd); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		c.waitGone(t, crdGVK, "", name)
	}
}

// The chart installs with the Report CRDs (its own, kept on uninstall), alongside an
// install that already has them (another release's, or Kyverno's: left alone), and
// without them (reports.installCRDs=false, nothing there: the audit's RBAC is accepted
// all the same, and the binary waits for the CRDs, see docs/audit.md).
func TestInstallWithAndWithoutReportCRDs(t *testing.T) {
	c := apiServer(t)
	deleteOpenReportsCRDs(t, c)

	// Without: nothing installs them.
	install(t, c, "bare", "lw-bare", "reports: {installCRDs: false}")
	rendered := assertReleaseStored(t, c, "bare", "lw-bare")
	if crds := reportCRDs(rendered); len(crds) != 0 {
		t.Errorf("reports.installCRDs=false installed %v", crds.names())
	}
	for _, name := range openReportsCRDs {
		crd := &unstructured.Unstructured{}
		crd.SetGroupVersionKind(crdGVK)
		if err := c.client.Get(context.Background(), client.ObjectKey{Name: name}, crd); !apierrors.IsNotFound(err) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	assertUninstallRemoves(t, c, "bare", "lw-bare", rendered)

	// With: the release installs them, as the module ships them.
	install(t, c, "owner", "lw-owner", "")
	rendered = assertReleaseStored(t, c, "owner", "lw-owner")
	for _, name := range openReportsCRDs {
		stored := get[apiextensionsv1.CustomResourceDefinition](t, c, "", name)
		if stored.Annotations["meta.helm.sh/release-name"] != "owner" || stored.Annotations["helm.sh/resource-policy"] != "keep" {
			t.Errorf("%s: annotations %v", name, stored.Annotations)
		}
		if rendered.find("CustomResourceDefinition", name) == nil {
			t.Errorf("the release does not hold %s", name)
		}
	}
	reports := get[apiextensionsv1.CustomResourceDefinition](t, c, "", "reports.openreports.io")
	raw, err := os.ReadFile(filepath.Join(harness.OpenReportsCRDs(), "openreports.io_reports.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var shipped apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &shipped); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(shipped.Spec.Versions, reports.Spec.Versions); diff != "" {
		t.Errorf("stored Report CRD versions differ from the module's (-module +stored):\n%s", diff)
	}

	// Alongside: a second release finds them and leaves them to their owner.
	install(t, c, "second", "lw-second", "")
	second := assertReleaseStored(t, c, "second", "lw-second")
	if crds := reportCRDs(second); len(crds) != 0 {
		t.Errorf("the second release took over %v", crds.names())
	}
	assertUninstallRemoves(t, c, "second", "lw-second", second)
	// Their owner goes; the CRDs (and so every Report) stay.
	assertUninstallRemoves(t, c, "owner", "lw-owner", rendered)
	for _, name := range openReportsCRDs {
		get[apiextensionsv1.CustomResourceDefinition](t, c, "", name)
	}
}

// The dashboard and the alerts are off by default, rendered behind their values, and
// refused without metrics to read.
func TestDashboardAndAlertsBehindValues(t *testing.T) {
	objs := render(t, "lw", "vm-admission", "")
	if objs.find("ConfigMap", "lw-linkstate-webhook-dashboard") != nil || len(objs.ofKind("PrometheusRule")) != 0 {
		t.Error("the dashboard or the alerts are rendered by default")
	}
	objs = render(t, "lw", "vm-admission", `metrics: {dashboard: {enabled: true, namespace: grafana, labels: {grafana_folder: KubeVirt}},
  prometheusRule: {enabled: true, labels: {release: prometheus}}}`)
	dashboard := objs.get(t, "ConfigMap", "lw-linkstate-webhook-dashboard")
	if dashboard.GetNamespace() != "grafana" || dashboard.GetLabels()["grafana_dashboard"] != "1" || dashboard.GetLabels()["grafana_folder"] != "KubeVirt" {
		t.Errorf("dashboard ConfigMap %s/%s labels %v", dashboard.GetNamespace(), dashboard.GetName(), dashboard.GetLabels())
	}
	rule := objs.get(t, "PrometheusRule", "lw-linkstate-webhook")
	if rule.GetLabels()["release"] != "prometheus" {
		t.Errorf("PrometheusRule labels %v", rule.GetLabels())
	}
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	var alerts []string
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rules {
			alerts = append(alerts, r.(map[string]any)["alert"].(string))
			if expr := r.(map[string]any)["expr"].(string); !strings.Contains(expr, `job="lw-linkstate-webhook-metrics"`) {
				t.Errorf("alert %v does not select this release's target: %s", r.(map[string]any)["alert"], expr)
			}
		}
	}
	want := []string{"LinkstateWebhookNoReadyReplica", "LinkstateWebhookErrors", "LinkstateWebhookLatencyHigh",
		"LinkstateWebhookLatencyOverBudget", "LinkstateAuditViolationsRising", "LinkstateAuditStale"}
	if diff := cmp.Diff(want, alerts); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	// Without the audit, no audit alerts.
	objs = render(t, "lw", "vm-admission", "{audit: {enabled: false}, metrics: {prometheusRule: {enabled: true}}}")
	groups, _, _ = unstructured.NestedSlice(objs.get(t, "PrometheusRule", "lw-linkstate-webhook").Object, "spec", "groups")
	if len(groups) != 1 {
		t.Errorf("audit off: %d alert groups, want only admission's", len(groups))
	}
	for _, values := range []string{"metrics: {enabled: false, dashboard: {enabled: true}}", "metrics: {enabled: false, prometheusRule: {enabled: true}}"} {
		if _, err := template(t, "lw", "vm-admission", values); err == nil || !strings.Contains(err.Error(), "needs metrics.enabled") {
			t.Errorf("%s: %v, want a refusal", values, err)
		}
	}
}

// The API server accepts the PrometheusRule (the Prometheus Operator's CRD validates it)
// and the dashboard ConfigMap, and stores them as rendered.
func TestInstallDashboardAndAlerts(t *testing.T) {
	c := apiServer(t)
	const release, namespace = "mon", "lw-monitoring"
	install(t, c, release, namespace, `metrics: {serviceMonitor: {enabled: true}, dashboard: {enabled: true},
  prometheusRule: {enabled: true, labels: {release: prometheus}}}`)
	rendered := assertReleaseStored(t, c, release, namespace)
	for _, kind := range []string{"PrometheusRule", "ConfigMap", "ServiceMonitor"} {
		if len(rendered.ofKind(kind)) == 0 {
			t.Errorf("the release has no %s", kind)
		}
	}
	stored := c.getObject(t, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, namespace, "mon-linkstate-webhook-dashboard")
	dashboard, _, _ := unstructured.NestedString(stored.Object, "data", "linkstate-webhook.json")
	var parsed struct {
		UID    string `json:"uid"`
		Panels []any  `json:"panels"`
	}
	if err := json.Unmarshal([]byte(dashboard), &parsed); err != nil || parsed.UID != "linkstate-webhook" || len(parsed.Panels) == 0 {
		t.Errorf("stored dashboard: %v, uid %q, %d panels", err, parsed.UID, len(parsed.Panels))
	}
	assertUninstallRemoves(t, c, release, namespace, rendered)
}
