package check

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parsed is a Document in a form that compares well: Raw decoded, so key order and
// spacing of the YAML-to-JSON conversion do not matter.
type parsed struct {
	Source, APIVersion, Kind, Namespace, Name string
	Object                                    map[string]any
}

func summarize(t *testing.T, docs []Document) []parsed {
	t.Helper()
	var out []parsed
	for _, d := range docs {
		var obj map[string]any
		if err := json.Unmarshal(d.Raw, &obj); err != nil {
			t.Fatalf("%s: Raw is not a JSON object: %v: %s", d.Source, err, d.Raw)
		}
		out = append(out, parsed{d.Source, d.APIVersion, d.Kind, d.Namespace, d.Name, obj})
	}
	return out
}

func TestParse(t *testing.T) {
	tests := map[string]struct {
		source, input string
		want          []parsed
	}{
		"YAML stream: empty and comment-only documents are dropped and not numbered": {
			source: "in.yaml",
			input: `# header comment
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: one
  namespace: ns
---
---
# only a comment
---
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  generateName: vm-   # no name: the generateName stands in
spec: {}
---
`,
			want: []parsed{
				{Source: "in.yaml#1", APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "one",
					Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "one", "namespace": "ns"}}},
				{Source: "in.yaml#2", APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine", Name: "vm-",
					Object: map[string]any{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
						"metadata": map[string]any{"generateName": "vm-"}, "spec": map[string]any{}}},
			},
		},
		"JSON object": {
			source: "in.json",
			input:  `{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": "a", "namespace": "b"}}`,
			want: []parsed{{Source: "in.json#1", APIVersion: "kubevirt.io/v1", Kind: "VirtualMachineInstance", Namespace: "b", Name: "a",
				Object: map[string]any{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": map[string]any{"name": "a", "namespace": "b"}}}},
		},
		"JSON stream of two objects": {
			source: "in.json",
			input:  `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a"}} {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}`,
			want: []parsed{
				{Source: "in.json#1", APIVersion: "v1", Kind: "Secret", Name: "a",
					Object: map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "a"}}},
				{Source: "in.json#2", APIVersion: "v1", Kind: "Secret", Name: "b",
					Object: map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "b"}}},
			},
		},
		"a v1 List is unwrapped into its items": {
			source: "list.yaml",
			input: `apiVersion: v1
kind: List
items:
- apiVersion: kubevirt.io/v1
  kind: VirtualMachine
  metadata: {name: first}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: second, namespace: x}
`,
			want: []parsed{
				{Source: "list.yaml#1.items[0]", APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine", Name: "first",
					Object: map[string]any{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": map[string]any{"name": "first"}}},
				{Source: "list.yaml#1.items[1]", APIVersion: "v1", Kind: "ConfigMap", Namespace: "x", Name: "second",
					Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "second", "namespace": "x"}}},
			},
		},
		"a List of another group is an object like any other": {
			source: "in.yaml",
			input:  "apiVersion: example.com/v1\nkind: List\nitems: []\n",
			want: []parsed{{Source: "in.yaml#1", APIVersion: "example.com/v1", Kind: "List",
				Object: map[string]any{"apiVersion": "example.com/v1", "kind": "List", "items": []any{}}}},
		},
		"nothing but comments": {
			source: "in.yaml",
			input:  "# nothing\n---\n# here\n",
			want:   nil,
		},
		"empty input": {
			source: "in.yaml",
			input:  "",
			want:   nil,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			docs, err := Parse(tc.source, strings.NewReader(tc.input))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, summarize(t, docs)); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct {
		input   string
		wantErr string
		// prefix: wantErr is the start of the error.
		prefix bool
	}{
		"a document without kind names its source": {
			input:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# second\napiVersion: v1\nmetadata: {name: b}\n",
			wantErr: "in.yaml, document 2: not a Kubernetes object: it has no kind",
		},
		// What is wrong and where, never a Go type.
		"a plain text file": {
			input:   "just a string\n",
			wantErr: `in.yaml, document 1: not a Kubernetes object: expected a mapping with apiVersion and kind, found a string ("just a string"): is this a manifest?`,
		},
		"a long line of text is cut": {
			input:   "Meeting notes from Tuesday on why the webhook must ship before the holidays\n",
			wantErr: `in.yaml, document 1: not a Kubernetes object: expected a mapping with apiVersion and kind, found a string ("Meeting notes from Tuesday on why the we…"): is this a manifest?`,
		},
		"a list": {
			input:   "- a\n- b\n",
			wantErr: "in.yaml, document 1: not a Kubernetes object: expected a mapping with apiVersion and kind, found a list",
		},
		"a kind of the wrong type names the member": {
			input:   "apiVersion: v1\nkind: 5\n",
			wantErr: "in.yaml, document 1: not a Kubernetes object: kind is a number, not what Kubernetes objects have there",
		},
		"a List item without kind names the item": {
			input:   "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n- metadata: {name: x}\n",
			wantErr: "in.yaml, document 1, item 1: not a Kubernetes object: it has no kind",
		},
		"invalid YAML": {
			input:   "apiVersion: v1\nkind: ConfigMap\n---\nkind: [unclosed\n",
			wantErr: "in.yaml, document 2: error converting YAML to JSON: yaml: line 1: did not find expected ',' or ']'",
		},
		"invalid YAML after comment-only documents": {
			input:   "# header\n---\napiVersion: v1\nkind: ConfigMap\n---\n# nothing\n---\na: b\n\tc: d\n",
			wantErr: "in.yaml, document 2: error converting YAML to JSON: yaml: line 2: found a tab character that violates indentation",
		},
		"truncated JSON": {
			input:   `{"apiVersion": "v1", "kind": "Secret"} {"kind": `,
			wantErr: "in.yaml, document 2: unexpected EOF",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			docs, err := Parse("in.yaml", strings.NewReader(tc.input))
			if err == nil {
				t.Fatalf("Parse succeeded with %d documents, want error %q", len(docs), tc.wantErr)
			}
			if docs != nil {
				t.Errorf("Parse returned %d documents along with its error, want none", len(docs))
			}
			got := err.Error()
			if tc.prefix && strings.HasPrefix(got, tc.wantErr) {
				got = tc.wantErr
			}
			if got != tc.wantErr {
				t.Errorf("error = %q, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseFixtures(t *testing.T) {
	tests := map[string][]string{ // file -> "source kind namespace/name" of each document
		"testdata/mixed.yaml": {
			"testdata/mixed.yaml#1 VirtualMachine prod/web",
			"testdata/mixed.yaml#2 VirtualMachineInstance prod/fast-",
			"testdata/mixed.yaml#3 ConfigMap prod/settings",
		},
		"testdata/list.json": {
			"testdata/list.json#1.items[0] VirtualMachineInstance old/legacy",
			"testdata/list.json#1.items[1] Secret /s",
		},
		"testdata/pod-linkdown-vm.yaml": {"testdata/pod-linkdown-vm.yaml#1 VirtualMachine /my-vm"},
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			docs := parseFixture(t, file)
			var got []string
			for _, d := range docs {
				got = append(got, d.Source+" "+d.Kind+" "+d.Namespace+"/"+d.Name)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
		})
	}
}

func parseFixture(t *testing.T, file string) []Document {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, err := Parse(file, f)
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return docs
}
