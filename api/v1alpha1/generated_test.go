package v1alpha1_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

const crdFile = "linkstate.kubevirt.io_linkstatepolicies.yaml"

// TestGeneratedFilesAreCurrent runs controller-gen ($CONTROLLER_GEN; `make policy-test`
// builds it) on the types and fails when the committed deepcopy functions, the CRD in
// config/crd or its copy in the chart differ from what it generates: run `make generate`.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	cg := os.Getenv("CONTROLLER_GEN")
	if cg == "" {
		t.Fatal("CONTROLLER_GEN is not set: run `make policy-test`, or " +
			"`export CONTROLLER_GEN=$(./hack/tools.sh controller-gen)` (it builds controller-gen from the Go module proxy once)")
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	run := func(args ...string) []byte {
		cmd := exec.Command(cg, args...)
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("controller-gen %v: %v\n%s", args, err, stderr.String())
		}
		return out
	}
	read := func(path string) []byte {
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	if got, want := read("api/v1alpha1/zz_generated.deepcopy.go"), run("object", "paths=./api/...", "output:stdout"); !bytes.Equal(got, want) {
		t.Error("api/v1alpha1/zz_generated.deepcopy.go is not what controller-gen generates: run `make generate`")
	}
	dir := t.TempDir()
	run("crd:crdVersions=v1", "paths=./api/...", "output:crd:artifacts:config="+dir)
	want, err := os.ReadFile(filepath.Join(dir, crdFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"config/crd/bases/" + crdFile, "charts/linkstate-webhook/files/" + crdFile} {
		if !bytes.Equal(read(path), want) {
			t.Errorf("%s is not the CRD controller-gen generates from api/v1alpha1: run `make generate`", path)
		}
	}
}
