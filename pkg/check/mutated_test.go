package check

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	gomodjsonpatch "gomodules.xyz/jsonpatch/v2"
	utiljson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/mutate"
)

// expectSameMutation mutates raw (an object of kind k) with the mutating reviewer, applies
// the patch both ways — to the decoded object (what check does) and to the JSON, decoded
// again (what the API server stores) — and requires the same object. It reports whether
// there was a patch.
func expectSameMutation(t *testing.T, k linkstate.Kind, cfg linkstate.Config, raw []byte) bool {
	t.Helper()
	obj, err := k.Decode(raw)
	if err != nil {
		return false
	}
	d := Document{Source: "test", Raw: raw}
	mutation := (&mutate.Reviewer{Kind: k, Rules: linkstate.Static(cfg)}).Review(context.Background(), request(k.GroupKind, d))
	if !mutation.Allowed || len(mutation.Patches) == 0 {
		return false
	}
	fast, ok := mutatedObject(obj, mutation.Patches)
	if !ok {
		t.Fatalf("mutatedObject refused the mutator's own patch %v", mutation.Patches)
	}
	patched, err := applyPatch(raw, mutation.Patches)
	if err != nil {
		t.Fatalf("the patch does not apply to the JSON: %v", err)
	}
	slow, err := k.Decode(patched)
	if err != nil {
		t.Fatalf("the patched JSON does not decode: %v", err)
	}
	if diff := cmp.Diff(slow, fast, ignoreKind); diff != "" || slow.Kind.GroupKind != fast.Kind.GroupKind {
		t.Fatalf("%s, %s dialect: (-patched JSON +patched object):\n%s\nobject %s\npatch %v", k.GroupKind.Kind, cfg.Dialect, diff, raw, mutation.Patches)
	}
	if diff := cmp.Diff(obj, mustDecode(t, k, raw), ignoreKind); diff != "" {
		t.Fatalf("mutatedObject changed the object it was given:\n%s", diff)
	}
	return true
}

// ignoreKind leaves out the kind's field path, which cmp cannot look into (compared by
// group and kind instead).
var ignoreKind = cmpopts.IgnoreFields(linkstate.Object{}, "Kind")

func mustDecode(t *testing.T, k linkstate.Kind, raw []byte) *linkstate.Object {
	t.Helper()
	obj, err := k.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// ruleConfigs are the settings the rule cases run under.
func ruleConfigs(t *testing.T) []linkstate.Config {
	t.Helper()
	seed, upstream, none := linkstate.DefaultConfig(), linkstate.DefaultConfig(), linkstate.DefaultConfig()
	upstream.Dialect, none.Dialect = linkstate.Upstream, linkstate.None
	plugins := linkstate.DefaultConfig()
	if err := plugins.SetPlugins([]string{"good"}, []string{"bad"}); err != nil {
		t.Fatal(err)
	}
	return []linkstate.Config{seed, upstream, none, plugins}
}

// ruleObjects are VMs and VMIs with every binding in every state (the rule cases' values),
// the examples, the fixtures, generated manifests and the objects of the server's fuzz
// corpus, as JSON.
func ruleObjects(t *testing.T) [][]byte {
	t.Helper()
	bindings := []string{`"bridge":{}`, `"masquerade":{}`, `"sriov":{}`, `"passtBinding":{}`, `"binding":{"name":"good"}`,
		`"binding":{"name":"bad"}`, `"binding":{"name":"other"}`, `"slirp":{}`, `"bridge":{},"masquerade":{}`, ``}
	states := []string{"", "linkUp", "linkDown", "up", "down", "absent", "sideways", "Down"}
	var objects [][]byte
	for _, b := range bindings {
		var ifaces []string
		for i, s := range states {
			iface := fmt.Sprintf(`{"name":"n%d"`, i)
			if b != "" {
				iface += "," + b
			}
			if s != "" {
				iface += `,"state":"` + s + `"`
			}
			ifaces = append(ifaces, iface+`}`)
		}
		spec := `{"domain":{"devices":{"interfaces":[` + strings.Join(ifaces, ",") + `]}},"networks":[{"name":"n0","pod":{}}]}`
		objects = append(objects, []byte(`{"metadata":{"name":"x"},"spec":`+spec+`}`),
			[]byte(`{"metadata":{"name":"x"},"spec":{"template":{"spec":`+spec+`}}}`))
	}
	files, _ := filepath.Glob("../../examples/*.yaml")
	more, _ := filepath.Glob("testdata/*.yaml")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(data), "\n---") {
			if raw, err := yaml.YAMLToJSON([]byte(doc)); err == nil && string(raw) != "null" {
				objects = append(objects, raw)
			}
		}
	}
	for i := range 24 {
		raw, err := json.Marshal(workload.Manifest(i))
		if err != nil {
			t.Fatal(err)
		}
		objects = append(objects, raw)
	}
	corpus, _ := filepath.Glob("../server/testdata/fuzz/FuzzServeHTTP/*")
	for _, f := range corpus {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, quoted, _ := strings.Cut(string(data), "\n")
		body, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(quoted), "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var review struct {
			Request struct {
				Object json.RawMessage `json:"object"`
			} `json:"request"`
		}
		if json.Unmarshal([]byte(body), &review) == nil && len(review.Request.Object) > 0 {
			objects = append(objects, review.Request.Object)
		}
	}
	return objects
}

// Applying the mutation to the decoded object gives the object the API server would
// store: the same as applying the patch to the JSON and decoding it again, over every rule
// case, dialect and corpus object.
func TestMutatedObjectMatchesThePatchedJSON(t *testing.T) {
	patched := 0
	for _, cfg := range ruleConfigs(t) {
		for _, raw := range ruleObjects(t) {
			for _, k := range []linkstate.Kind{linkstate.VirtualMachine, linkstate.VirtualMachineInstance} {
				if expectSameMutation(t, k, cfg, raw) {
					patched++
				}
			}
		}
	}
	if patched < 100 {
		t.Errorf("only %d objects were patched: the test is not testing much", patched)
	}
}

// Any other patch is left to the JSON.
func TestMutatedObjectRefusesOtherPatches(t *testing.T) {
	obj := mustDecode(t, linkstate.VirtualMachine, []byte(`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"a"}]}}}}}}`))
	const state = "/spec/template/spec/domain/devices/interfaces/0/state"
	for name, op := range map[string]gomodjsonpatch.Operation{
		"remove":                 {Operation: "remove", Path: state},
		"a number":               {Operation: "add", Path: state, Value: 1},
		"another field":          {Operation: "add", Path: "/spec/template/spec/domain/devices/interfaces/0/model", Value: "e1000"},
		"past the end":           {Operation: "add", Path: "/spec/template/spec/domain/devices/interfaces/1/state", Value: "linkUp"},
		"a leading zero":         {Operation: "add", Path: "/spec/template/spec/domain/devices/interfaces/00/state", Value: "linkUp"},
		"the other kind's place": {Operation: "add", Path: "/spec/domain/devices/interfaces/0/state", Value: "linkUp"},
	} {
		if _, ok := mutatedObject(obj, []gomodjsonpatch.Operation{op}); ok {
			t.Errorf("%s: mutatedObject accepted %+v", name, op)
		}
	}
}

// FuzzMutatedObjectMatchesPatchedJSON: on any object the mutator patches, the two ways
// agree. Objects with duplicate keys are left out: which of two values counts is a matter
// of taste, and the API server never sends one.
func FuzzMutatedObjectMatchesPatchedJSON(f *testing.F) {
	f.Add([]byte(`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","bridge":{}},{"name":"b","state":"down"}]}}}}}}`))
	f.Add([]byte(`{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","masquerade":{},"state":"linkDown"},{"name":"a","bridge":{}}]}}}}`))
	cfgs := ruleConfigs(&testing.T{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var v any
		if strict, err := utiljson.UnmarshalStrict(raw, &v, utiljson.DisallowDuplicateFields); err != nil || len(strict) > 0 {
			return
		}
		for _, cfg := range cfgs {
			for _, k := range []linkstate.Kind{linkstate.VirtualMachine, linkstate.VirtualMachineInstance} {
				expectSameMutation(t, k, cfg, raw)
			}
		}
	})
}
