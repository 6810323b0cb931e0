package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/check"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// TestExamplesBehaveAsExpected plays the demo's scripted part — what `--once` runs —
// against a real kube-apiserver with the webhook registered, and wants every example to do
// what the table in examples.go says.
func TestExamplesBehaveAsExpected(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: this test starts kube-apiserver and etcd. " +
			"Run `make demo-test`, or first `export KUBEBUILDER_ASSETS=$(./hack/envtest-assets.sh)` " +
			"(it builds them from Go modules once, several minutes on 2 cores)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	webhookLog := &harness.LogBuffer{}
	env, err := harness.Start(ctx, harness.Options{WebhookLog: webhookLog})
	t.Cleanup(func() {
		if env != nil {
			if err := env.Stop(); err != nil {
				t.Errorf("stopping the environment: %v", err)
			}
		}
	})
	if err != nil {
		t.Fatalf("starting the environment: %v\n--- webhook log ---\n%s", err, webhookLog)
	}

	var out bytes.Buffer
	results, err := runExamples(ctx, env.Config, env.Kubeconfig, "demo-test", newPrinter(&out))
	if err != nil {
		t.Fatalf("playing the examples: %v\n--- demo output ---\n%s", err, out.String())
	}
	if len(results) != len(scenarios) {
		t.Fatalf("played %d of %d examples", len(results), len(scenarios))
	}
	for _, r := range results {
		for _, problem := range r.problems {
			t.Errorf("%s: %s", r.file, problem)
		}
	}
	// The commands printed can be pasted: the SR-IOV example's, run as printed, is refused
	// by the same webhook on the same API server.
	var printed string
	for _, line := range strings.Split(out.String(), "\n") {
		if cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "$ "); ok && strings.HasSuffix(cmd, "create -f "+displayPath(filepath.Join(examplesDir(), "vm-sriov-linkdown.yaml"))) {
			printed = cmd
		}
	}
	if printed == "" {
		t.Errorf("no command printed for vm-sriov-linkdown.yaml")
	} else {
		sh := exec.Command("sh", "-c", printed)
		sh.Dir, _ = os.Getwd()
		got, err := sh.CombinedOutput()
		if err == nil || !strings.Contains(string(got), "link state cannot be set on an SR-IOV interface") {
			t.Errorf("the printed command %q: err %v\n%s", printed, err, got)
		}
	}
	if t.Failed() {
		t.Logf("--- demo output ---\n%s\n--- webhook log ---\n%s", out.String(), webhookLog)
	}
}

// TestEveryExampleHasAScenario holds examples/ and the table together: a file nobody plays
// would go unchecked, a scenario without its file would fail only at demo time.
func TestEveryExampleHasAScenario(t *testing.T) {
	entries, err := os.ReadDir(examplesDir())
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	var played []string
	for _, sc := range scenarios {
		played = append(played, sc.file)
	}
	slices.Sort(played)
	if !slices.Equal(files, played) {
		t.Errorf("files in examples/ %v, scenarios in examples.go %v: want the same", files, played)
	}
	if len(slices.Compact(slices.Clone(played))) != len(played) {
		t.Errorf("a file has two scenarios: %v", played)
	}

	for _, sc := range scenarios {
		obj, err := readExample(sc.file)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if _, ok := kinds[obj.GetKind()]; !ok {
			t.Errorf("%s: kind %s is not one the demo knows", sc.file, obj.GetKind())
		}
		about, err := description(sc.file)
		_, expected, found := strings.Cut(strings.Join(about, " "), "Expected: ")
		if err != nil || !found {
			t.Errorf("%s: want a leading comment saying what it shows and, after `Expected:`, what happens", sc.file)
		}
		// The prose and the table must not tell different stories (a story's prose
		// describes several steps, so only single requests are held to this).
		if verdict := "allowed"; found && len(sc.steps) == 1 {
			if sc.steps[0].want.denied != nil {
				verdict = "denied"
			}
			if !strings.HasPrefix(expected, verdict) {
				t.Errorf("%s: the comment expects %q, the table expects %s", sc.file, expected, verdict)
			}
		}
		for i, st := range sc.steps {
			if (i == 0) != (st.do.body == "") {
				t.Errorf("%s step %d: only the first step creates the object (and has no patch)", sc.file, i+1)
			}
			if len(sc.steps) > 1 && st.title == "" {
				t.Errorf("%s step %d: a story's steps need titles", sc.file, i+1)
			}
		}
	}
}

// TestCheckAgreesWithTheAPIServer runs `webhook check`'s code (mutation, then validation,
// with create semantics and the default settings the demo's webhook runs with) on every
// example, and wants the verdict, warnings and resulting states that the demo expects from
// the API server for the example's creation. So `webhook check -f examples/` tells the same
// story offline.
func TestCheckAgreesWithTheAPIServer(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(examplesDir(), sc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			docs, err := check.Parse(sc.file, f)
			if err != nil {
				t.Fatal(err)
			}
			results, skipped := check.Run(docs, linkstate.DefaultConfig())
			if len(results) != 1 || len(skipped) != 0 {
				t.Fatalf("want one VM or VMI judged, got %d (and %d skipped)", len(results), len(skipped))
			}
			r, want := results[0], sc.steps[0].want

			if want.denied == nil && !r.Allowed {
				t.Errorf("check denies it (%+v), the API server must allow it", r.Causes)
			}
			if want.denied != nil {
				var fields []string
				for _, c := range r.Causes {
					fields = append(fields, c.Field)
					if fragment, ok := want.denied[c.Field]; !ok || !strings.Contains(c.Message, fragment) {
						t.Errorf("check's cause at %s: %q; want one of %v", c.Field, c.Message, want.denied)
					}
				}
				if r.Allowed || len(fields) != len(want.denied) {
					t.Errorf("check: allowed=%v causes at %v; want denied at the fields of %v", r.Allowed, fields, want.denied)
				}
			}
			for _, problem := range compareWarnings(want.warnings, r.Warnings) {
				t.Errorf("check: %s", problem)
			}
			if want.denied == nil && want.states != nil {
				if got, want := describe(byName(interfaceStates(patched(t, docs[0].Raw, r)))), describe(fromMap(want.states)); got != want {
					t.Errorf("check's mutation gives states %s, the API server must store %s", got, want)
				}
			}
		})
	}
}

// patched applies check's mutation to the example, as the API server does.
func patched(t *testing.T, raw []byte, r check.Result) *unstructured.Unstructured {
	t.Helper()
	ops, err := json.Marshal(r.Patch)
	if err != nil {
		t.Fatal(err)
	}
	p, err := jsonpatch.DecodePatch(ops)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply(raw)
	if err != nil {
		t.Fatalf("applying check's patch %s: %v", ops, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(out); err != nil {
		t.Fatal(err)
	}
	return u
}
