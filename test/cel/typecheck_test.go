package cel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/cel"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

var (
	typecheckOnce sync.Once
	typecheckBin  string
	typecheckErr  error
)

// typecheck type-checks the policies in a YAML stream against the API server's schemas
// with test/cel/typecheck (a module of its own: see its doc), built once.
func typecheck(t *testing.T, policies []byte) map[string][]admissionregistrationv1.ExpressionWarning {
	t.Helper()
	typecheckOnce.Do(func() {
		dir, err := filepath.Abs(filepath.Join(harness.Root(), "bin"))
		if err != nil {
			typecheckErr = err
			return
		}
		typecheckBin = filepath.Join(dir, "typecheck")
		cmd := exec.Command("go", "build", "-o", typecheckBin, ".")
		cmd.Dir = filepath.Join(harness.Root(), "test", "cel", "typecheck")
		if out, err := cmd.CombinedOutput(); err != nil {
			typecheckErr = err
			t.Logf("%s", out)
		}
	})
	if typecheckErr != nil {
		t.Fatalf("building test/cel/typecheck: %v", typecheckErr)
	}
	cmd := exec.Command(typecheckBin, "--kubeconfig", env.Kubeconfig)
	cmd.Stdin = bytes.NewReader(policies)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("typecheck: %v\n%s", err, stderr.String())
	}
	results := map[string][]admissionregistrationv1.ExpressionWarning{}
	scanner := bufio.NewScanner(bytes.NewReader(out))
	scanner.Buffer(nil, 16<<20)
	for scanner.Scan() {
		var r struct {
			Policy   string                                      `json:"policy"`
			Warnings []admissionregistrationv1.ExpressionWarning `json:"warnings"`
		}
		if err := json.Unmarshal(scanner.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		results[r.Policy] = r.Warnings
	}
	return results
}

func generated(t *testing.T, d linkstate.Dialect) []byte {
	t.Helper()
	opts := cel.DefaultOptions()
	opts.Config.Dialect = d
	p, err := cel.Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := cel.WriteYAML(&b, nil, p.Objects()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Every expression of every generated policy type-checks against KubeVirt's schemas as the
// API server publishes them (and against ConfigMap's, for the params): no field the
// policies read is misspelt or of another type than they think.
func TestPoliciesTypeCheck(t *testing.T) {
	apiServer(t)
	for _, d := range cel.Dialects {
		t.Run(string(d), func(t *testing.T) {
			results := typecheck(t, generated(t, d))
			// 2 validating per kind, the params guard, and a mutating one per kind.
			if want := 3*len(cel.Kinds) + 1; len(results) != want {
				t.Errorf("%d policies checked, want %d: %v", len(results), want, results)
			}
			for policy, warnings := range results {
				for _, w := range warnings {
					t.Errorf("%s %s: %s", policy, w.FieldRef, w.Warning)
				}
			}
		})
	}
}

// The check can fail: a field misspelt in a variable, read through another variable, is found.
func TestTypeCheckFindsAMisspeltField(t *testing.T) {
	apiServer(t)
	policies := generated(t, linkstate.Seed)
	misspelt := bytes.ReplaceAll(policies, []byte("has(i.sriov)"), []byte("has(i.srivo)"))
	if bytes.Equal(misspelt, policies) {
		t.Fatal("the generated policies no longer read has(i.sriov): pick another field to misspell")
	}
	found := 0
	for policy, warnings := range typecheck(t, misspelt) {
		for _, w := range warnings {
			if strings.Contains(w.Warning, "undefined field 'srivo'") {
				found++
			} else {
				t.Errorf("%s %s: unexpected warning %s", policy, w.FieldRef, w.Warning)
			}
		}
	}
	if found == 0 {
		t.Error("the misspelt field went unnoticed")
	}
}
