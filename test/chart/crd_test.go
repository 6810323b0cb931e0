package chart

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

const policyCRD = "linkstatepolicies.linkstate.kubevirt.io"

var crdGVK = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")

// shippedCRD is the CRD as config/crd ships it.
func shippedCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(harness.ShippedCRDs(), "linkstate.kubevirt.io_linkstatepolicies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(raw, crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

// restoreCRD gives the cluster its own LinkStatePolicy CRD (not a release's) again, once
// a test has removed it.
func (c *cluster) restoreCRD(t *testing.T) {
	t.Helper()
	c.waitGone(t, crdGVK, "", policyCRD)
	if _, err := envtest.InstallCRDs(c.env.Config, envtest.CRDInstallOptions{Paths: []string{harness.ShippedCRDs()}}); err != nil {
		t.Fatalf("restoring the LinkStatePolicy CRD: %v", err)
	}
}

// The chart installs the CRD from templates/, so that `helm upgrade` brings a new schema
// (Helm never upgrades crds/), and keeps it, with every policy, on `helm uninstall`.
func TestChartInstallsUpgradesAndKeepsTheCRD(t *testing.T) {
	c := apiServer(t)
	const release, namespace = "crd", "lw-crd"
	ctx := context.Background()
	if err := c.client.Delete(ctx, &apiextensionsv1.CustomResourceDefinition{ObjectMeta: shippedCRD(t).ObjectMeta}); err != nil {
		t.Fatal(err)
	}
	c.waitGone(t, crdGVK, "", policyCRD)
	t.Cleanup(func() {
		_, _ = runHelm(t, "uninstall", release, "--namespace", namespace, "--kubeconfig", c.kubeconfig)
		_ = c.client.Delete(ctx, &apiextensionsv1.CustomResourceDefinition{ObjectMeta: shippedCRD(t).ObjectMeta})
		c.restoreCRD(t)
	})

	c.helm(t, "install", release, chartDir, "--namespace", namespace, "--create-namespace")
	stored := get[apiextensionsv1.CustomResourceDefinition](t, c, "", policyCRD)
	want := shippedCRD(t)
	if diff := cmp.Diff(want.Spec.Versions, stored.Spec.Versions); diff != "" {
		t.Errorf("the installed CRD's versions differ from config/crd's (-config +stored):\n%s", diff)
	}
	if stored.Annotations["helm.sh/resource-policy"] != "keep" || stored.Labels["app.kubernetes.io/instance"] != release {
		t.Errorf("annotations %v, labels %v: want helm.sh/resource-policy=keep and the release's labels", stored.Annotations, stored.Labels)
	}

	// Someone edits the CRD (or an older chart installed another schema): the upgrade puts
	// the chart's back.
	stored.Spec.Versions[0].AdditionalPrinterColumns = nil
	if err := c.client.Update(ctx, stored); err != nil {
		t.Fatal(err)
	}
	c.helm(t, "upgrade", release, chartDir, "--namespace", namespace)
	upgraded := get[apiextensionsv1.CustomResourceDefinition](t, c, "", policyCRD)
	if diff := cmp.Diff(want.Spec.Versions[0].AdditionalPrinterColumns, upgraded.Spec.Versions[0].AdditionalPrinterColumns); diff != "" {
		t.Errorf("after helm upgrade the printer columns are not the chart's (-chart +stored):\n%s", diff)
	}

	policy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "linkstate.kubevirt.io/v1alpha1", "kind": "LinkStatePolicy",
		"metadata": map[string]any{"name": "survives-uninstall"},
		"spec":     map[string]any{"protectedNetworks": []any{"pod"}},
	}}
	if err := c.client.Create(ctx, policy); err != nil {
		t.Fatalf("creating a LinkStatePolicy: %v", err)
	}
	c.helm(t, "uninstall", release, "--namespace", namespace)
	get[apiextensionsv1.CustomResourceDefinition](t, c, "", policyCRD)
	if err := c.client.Get(ctx, client.ObjectKeyFromObject(policy), policy); err != nil {
		t.Errorf("after helm uninstall the policy is gone: %v", err)
	}
	// Installing the release again takes the kept CRD over.
	c.helm(t, "install", release, chartDir, "--namespace", namespace)
	if err := c.client.Delete(ctx, policy); err != nil {
		t.Fatal(err)
	}
}
