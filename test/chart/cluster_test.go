package chart

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/test/crds"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// cluster is one kube-apiserver + etcd for the whole package (starting one takes seconds),
// started by the first test that needs it.
type cluster struct {
	env        *envtest.Environment
	client     client.Client
	kubeconfig string
	dir        string
}

var (
	sharedCluster    *cluster
	sharedClusterErr error
	clusterOnce      sync.Once
)

// apiServer returns the shared cluster, or fails the test saying what is missing.
func apiServer(t *testing.T) *cluster {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make chart-test`, or " +
			"`export KUBEBUILDER_ASSETS=$(./hack/envtest-assets.sh)` (it builds kube-apiserver and etcd once)")
	}
	clusterOnce.Do(func() { sharedCluster, sharedClusterErr = startCluster() })
	if sharedClusterErr != nil {
		t.Fatalf("starting the API server: %v", sharedClusterErr)
	}
	return sharedCluster
}

func startCluster() (*cluster, error) {
	kubevirt, err := crds.Objects()
	if err != nil {
		return nil, fmt.Errorf("generating KubeVirt's CRDs: %w", err)
	}
	certManager, err := tool("cert-manager-crds")
	if err != nil {
		return nil, err
	}
	prometheusOperator, err := tool("prometheus-operator-crds")
	if err != nil {
		return nil, err
	}
	c := &cluster{env: &envtest.Environment{
		CRDInstallOptions: envtest.CRDInstallOptions{
			CRDs: kubevirt,
			// Every cert-manager CRD (the chart renders Issuers and Certificates), of the
			// Prometheus Operator's only the ServiceMonitor and PrometheusRule the chart
			// renders, and the webhook's own LinkStatePolicy CRD, which the binary needs to
			// get ready: releases are installed with crds.install=false, but in
			// TestChartInstallsUpgradesAndKeepsTheCRD.
			Paths: []string{certManager, filepath.Join(prometheusOperator, "monitoring.coreos.com_servicemonitors.yaml"),
				filepath.Join(prometheusOperator, "monitoring.coreos.com_prometheusrules.yaml"), harness.ShippedCRDs()},
		},
		ErrorIfCRDPathMissing: true,
	}}
	if c.dir, err = os.MkdirTemp("", "chart-test-"); err != nil {
		return nil, err
	}
	if _, err := c.env.Start(); err != nil {
		return c, fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	// helm and kubectl talk to the API server as an admin, like a cluster operator would.
	admin, err := c.env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return c, fmt.Errorf("adding an admin user: %w", err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return c, err
	}
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
	if err := os.WriteFile(c.kubeconfig, kubeconfig, 0o600); err != nil {
		return c, err
	}
	if c.client, err = client.New(admin.Config(), client.Options{}); err != nil {
		return c, err
	}
	return c, nil
}

func stopCluster() error {
	c := sharedCluster
	if c == nil {
		return nil
	}
	var errs []error
	if c.env != nil {
		errs = append(errs, c.env.Stop())
	}
	if c.dir != "" {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	return errors.Join(errs...)
}

// tool runs hack/tools.sh, which prints the path of what it built or fetched last.
func tool(what string) (string, error) {
	cmd := exec.Command(filepath.Join(harness.Root(), "hack", "tools.sh"), what)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/tools.sh %s: %w\n%s", what, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

// helm runs helm against the cluster.
func (c *cluster) helm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runHelm(t, append(args, "--kubeconfig", c.kubeconfig)...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// getObject reads an object of any kind the API server serves.
func (c *cluster) getObject(t *testing.T, gvk schema.GroupVersionKind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	o := &unstructured.Unstructured{}
	o.SetGroupVersionKind(gvk)
	if err := c.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, o); err != nil {
		t.Fatalf("the API server has no %s %s/%s: %v", gvk.Kind, namespace, name, err)
	}
	return o
}

// get reads a typed object.
func get[T any, PT interface {
	*T
	client.Object
}](t *testing.T, c *cluster, namespace, name string) *T {
	t.Helper()
	o := PT(new(T))
	if err := c.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, o); err != nil {
		t.Fatalf("reading %T %s/%s: %v", o, namespace, name, err)
	}
	return (*T)(o)
}

// waitGone polls until the object is gone: deletion is asynchronous for objects with
// finalizers or dependents. The deadline is generous; a pass returns as soon as it can.
func (c *cluster) waitGone(t *testing.T, gvk schema.GroupVersionKind, namespace, name string) {
	t.Helper()
	o := &unstructured.Unstructured{}
	o.SetGroupVersionKind(gvk)
	testwait.Until(t, fmt.Sprintf("%s %s/%s is gone after its deletion", gvk.Kind, namespace, name), 30*time.Second, func() error {
		err := c.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, o)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (get: %v)", err)
	})
}

// ensureNamespace creates a namespace unless it exists.
func (c *cluster) ensureNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	if err := c.client.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
