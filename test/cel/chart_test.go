package cel

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// helm runs $HELM against the package's API server.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := os.Getenv("HELM")
	if bin == "" {
		t.Fatal("HELM is not set: run `make cel-test`, or `export HELM=$(./hack/tools.sh helm)`")
	}
	cmd := exec.Command(bin, append(args, "--kubeconfig", env.Kubeconfig)...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// `helm install --set admission.mode=cel` on an API server with MutatingAdmissionPolicy:
// no webhook runs, and the API server judges VMs with the chart's policies — denies,
// defaults, and reads the settings from the chart's values. Uninstalling removes it all.
func TestChartInstallsInCelMode(t *testing.T) {
	apiServer(t)
	ctx := context.Background()
	const release, namespace = "lsc", "lsc-system"
	chart := filepath.Join(harness.Root(), "charts", "linkstate-webhook")
	notes, err := helm(t, "install", release, chart, "--namespace", namespace, "--create-namespace",
		"--set", "admission.mode=cel", "--set", "dialect=seed", "--set", "crds.install=false", "--set", "unsupportedPlugins={vendor-tap}",
		// The webhook side of this package judges every namespace not labelled for the
		// policies: these are the chart's.
		"--set", "namespaceSelector.matchLabels.chart-test=cel", "--wait")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"installed as admission policies", "with defaulting", "edit configmap lsc-linkstate-webhook-cel-params"} {
		if !strings.Contains(notes, s) {
			t.Errorf("NOTES do not say %q:\n%s", s, notes)
		}
	}
	var services corev1.ServiceList
	if err := c.List(ctx, &services, client.InNamespace(namespace)); err != nil || len(services.Items) != 0 {
		t.Errorf("%d services in %s (%v): the cel mode runs nothing", len(services.Items), namespace, err)
	}

	ns := "lsc-vms"
	ensureNamespace(t, ns, map[string]string{"chart-test": "cel", pathLabel: "cel"})
	bad := object(t, linkstate.VirtualMachine, ns, "tap", Spec(Ifaces(Masquerade("default", ""), Plugin("tap", "vendor-tap", "linkDown")), Pod("default"), Multus("tap")))
	testwait.Until(t, "the chart's policies judge VMs", 30*time.Second, func() error {
		err := c.Create(ctx, bad.DeepCopy(), client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), "ValidatingAdmissionPolicy 'lsc-linkstate-webhook-virtualmachine-deny'") ||
			!strings.Contains(err.Error(), `spec.template.spec.domain.devices.interfaces[1].state: Invalid value: "linkDown": binding plugin "vendor-tap" does not support link state`) {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})
	fine := object(t, linkstate.VirtualMachine, ns, "fine", Spec(Ifaces(Masquerade("default", "")), Pod("default")))
	testwait.Until(t, "the chart's mutating policy defaults VMs", 30*time.Second, func() error {
		obj := fine.DeepCopy()
		if err := c.Create(ctx, obj, client.DryRunAll); err != nil {
			return err
		}
		if got := statesOf(t, obj)["default"]; got != "linkUp" {
			return fmt.Errorf("state %q", got)
		}
		return nil
	})

	if _, err := helm(t, "uninstall", release, "--namespace", namespace, "--wait"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the policies gone with the release", 30*time.Second, func() error {
		if err := c.Create(ctx, bad.DeepCopy(), client.DryRunAll); err != nil {
			return fmt.Errorf("still denied: %v", err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: release + "-linkstate-webhook-cel-params", Namespace: namespace}}
		if err := c.Get(ctx, client.ObjectKeyFromObject(cm), cm); !apierrors.IsNotFound(err) {
			return fmt.Errorf("params still there: %v", err)
		}
		return nil
	})
}
