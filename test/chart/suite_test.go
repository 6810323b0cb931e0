// Package chart tests how linkstate-webhook is deployed: the Helm chart in
// charts/linkstate-webhook and the kustomize configuration in config/, rendered by the real
// tools (helm, kubectl's kustomize) and installed into a real kube-apiserver (envtest) that
// serves KubeVirt's, cert-manager's and the Prometheus Operator's CRDs with their schemas.
// No pod runs there: the tests assert on what the API server accepted and stored.
//
// HELM must name a helm binary and KUBEBUILDER_ASSETS the envtest binaries; `make
// chart-test` builds both from Go modules and sets them.
package chart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// The release and namespace under which the chart must produce what config/ ships.
const (
	shippedRelease   = "linkstate-webhook"
	shippedNamespace = "linkstate-webhook-system"
)

var chartDir = filepath.Join(harness.Root(), "charts", "linkstate-webhook")

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// helm writes caches and its repository config under these; keep them out of $HOME.
	for _, name := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		if os.Getenv(name) != "" {
			continue
		}
		dir, err := os.MkdirTemp("", "chart-test-"+strings.ToLower(name)+"-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		os.Setenv(name, dir)
	}
	code := m.Run()
	if err := stopCluster(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the API server:", err)
	}
	return code
}

// helmBinary is $HELM, or the test fails saying how to get one.
func helmBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("HELM")
	if bin == "" {
		t.Fatal("HELM is not set: run `make chart-test`, or `export HELM=$(./hack/tools.sh helm)` " +
			"(it builds helm from the Go module proxy once and caches it in .cache/tools)")
	}
	return bin
}

// runHelm runs helm and returns its stdout; the error carries stderr.
func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmBinary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// valuesFile writes a values YAML document to a temporary file for `helm -f`.
func valuesFile(t *testing.T, values string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(path, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// template runs `helm template` offline and returns the error instead of failing, for the
// tests that expect a rejection.
func template(t *testing.T, release, namespace, values string) (objects, error) {
	t.Helper()
	out, err := runHelm(t, "template", release, chartDir, "--namespace", namespace, "-f", valuesFile(t, values))
	if err != nil {
		return nil, err
	}
	return parseObjects(out)
}

// render is template for values that must be accepted.
func render(t *testing.T, release, namespace, values string) objects {
	t.Helper()
	objs, err := template(t, release, namespace, values)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// objects are rendered or built manifests.
type objects []*unstructured.Unstructured

func parseObjects(manifests string) (objects, error) {
	var objs objects
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifests)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		doc, err = yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(doc)); s == "null" || s == "{}" {
			continue // a document holding only comments, or a template that rendered nothing
		}
		// Decoded as the API client decodes, so integers are int64 on both sides of a comparison.
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(doc); err != nil {
			return nil, fmt.Errorf("%w in\n%s", err, doc)
		}
		objs = append(objs, o)
	}
}

// find returns the object of that kind and name, or nil.
func (objs objects) find(kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// get is find for objects that must be there.
func (objs objects) get(t *testing.T, kind, name string) *unstructured.Unstructured {
	t.Helper()
	o := objs.find(kind, name)
	if o == nil {
		t.Fatalf("no %s %q among %v", kind, name, objs.names())
	}
	return o
}

func (objs objects) ofKind(kind string) objects {
	var out objects
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func (objs objects) names() []string {
	var names []string
	for _, o := range objs {
		names = append(names, o.GetKind()+"/"+o.GetName())
	}
	return names
}

// decode converts to a typed object and fails on fields the type does not have, so a
// misspelt field in a template cannot go unnoticed.
func decode[T any](t *testing.T, o *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, out, true); err != nil {
		t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
	}
	return out
}
