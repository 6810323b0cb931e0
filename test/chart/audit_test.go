package chart

import (
	"context"
	"encoding/json"
	"os/exec"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

var openReportsCRDs = []string{"reports.openreports.io", "clusterreports.openreports.io"}

var crdGVK = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")

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
	if crds := rendered.ofKind("CustomResourceDefinition"); len(crds) != 0 {
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
	if crds := second.ofKind("CustomResourceDefinition"); len(crds) != 0 {
		t.Errorf("the second release took over %v", crds.names())
	}
	assertUninstallRemoves(t, c, "second", "lw-second", second)
	// Their owner goes; the CRDs (and so every Report) stay.
	assertUninstallRemoves(t, c, "owner", "lw-owner", rendered)
	for _, name := range openReportsCRDs {
		get[apiextensionsv1.CustomResourceDefinition](t, c, "", name)
	}
}
