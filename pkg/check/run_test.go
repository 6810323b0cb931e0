package check

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/go-cmp/cmp"
	gomodjsonpatch "gomodules.xyz/jsonpatch/v2"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The texts users see, spelled out: a change to any of them is a change users see.
const (
	warnP1VM = "spec.template.spec.domain.devices.interfaces[0].state: the link of the interface on the " +
		"default network will be down: readiness and liveness probes, services and other cluster traffic through it stop working"
	warnAliasLinkDown = `spec.template.spec.domain.devices.interfaces[0].state: "linkDown" is the seed dialect's spelling; ` +
		`stored as "down", the spelling this cluster uses`
	msgSRIOVLinkDown = `Invalid value: "linkDown": link state cannot be set on an SR-IOV interface: the VF is passed ` +
		"through to the guest and has no virtual link to toggle; leave state empty and set the link from inside the guest"
	msgNotSupportedSideways = `Unsupported value: "sideways": supported values: "linkUp", "linkDown", "absent", "up", "down"`
	warnUnknownPlugin       = `spec.template.spec.domain.devices.interfaces[0].state: binding plugin "vendor-x" is not known ` +
		"to support link state: the link may stay up; ask the cluster operator to list the plugin as supported or unsupported"
)

func op(operation, path string, value any) gomodjsonpatch.Operation {
	return gomodjsonpatch.Operation{Operation: operation, Path: path, Value: value}
}

func noPatch() []gomodjsonpatch.Operation { return []gomodjsonpatch.Operation{} }

func upstream() linkstate.Config {
	cfg := linkstate.DefaultConfig()
	cfg.Dialect = linkstate.Upstream
	return cfg
}

func withPlugins(supported, unsupported []string) linkstate.Config {
	cfg := linkstate.DefaultConfig()
	if err := cfg.SetPlugins(supported, unsupported); err != nil {
		panic(err)
	}
	return cfg
}

// pluginVM is a VM with one interface bound by the plugin vendor-x, with the given state.
func pluginVM(state string) string {
	return `{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "p", "namespace": "ns"},
	  "spec": {"template": {"spec": {
	    "domain": {"devices": {"interfaces": [{"name": "x", "binding": {"name": "vendor-x"}, "state": "` + state + `"}]}},
	    "networks": [{"name": "x", "multus": {"networkName": "x-net"}}]}}}}`
}

func TestRun(t *testing.T) {
	tests := map[string]struct {
		file        string // a fixture, or
		input       string // a manifest given inline
		cfg         linkstate.Config
		want        []Result
		wantSkipped []string // sources
	}{
		"VM allowed with its patch, VMI denied with every cause, ConfigMap skipped": {
			file: "testdata/mixed.yaml",
			cfg:  linkstate.DefaultConfig(),
			want: []Result{
				{
					Kind: "VirtualMachine", Namespace: "prod", Name: "web", Allowed: true,
					Causes: []Cause{}, Warnings: []string{},
					Patch:  []gomodjsonpatch.Operation{op("add", "/spec/template/spec/domain/devices/interfaces/0/state", "linkUp")},
					source: "testdata/mixed.yaml#1",
				},
				{
					Kind: "VirtualMachineInstance", Namespace: "prod", Name: "fast-", Allowed: false,
					Causes: []Cause{
						{Field: "spec.domain.devices.interfaces[0].state", Message: msgSRIOVLinkDown},
						{Field: "spec.domain.devices.interfaces[1].state", Message: msgNotSupportedSideways},
					},
					Warnings: []string{}, Patch: noPatch(),
					source: "testdata/mixed.yaml#2",
				},
			},
			wantSkipped: []string{"testdata/mixed.yaml#3"},
		},
		"the reference VM: link down on the pod network is allowed with the P1 warning": {
			file: "testdata/pod-linkdown-vm.yaml",
			cfg:  linkstate.DefaultConfig(),
			want: []Result{{
				Kind: "VirtualMachine", Name: "my-vm", Allowed: true,
				Causes: []Cause{}, Warnings: []string{warnP1VM}, Patch: noPatch(),
				source: "testdata/pod-linkdown-vm.yaml#1",
			}},
		},
		"the reference VM in the upstream dialect: linkDown rewritten to down": {
			file: "testdata/pod-linkdown-vm.yaml",
			cfg:  upstream(),
			want: []Result{{
				Kind: "VirtualMachine", Name: "my-vm", Allowed: true,
				Causes:   []Cause{},
				Warnings: []string{warnAliasLinkDown, warnP1VM},
				Patch:    []gomodjsonpatch.Operation{op("replace", "/spec/template/spec/domain/devices/interfaces/0/state", "down")},
				source:   "testdata/pod-linkdown-vm.yaml#1",
			}},
		},
		"a v1alpha3 VMI in a List is judged, the Secret beside it skipped": {
			file: "testdata/list.json",
			cfg:  linkstate.DefaultConfig(),
			want: []Result{{
				Kind: "VirtualMachineInstance", Namespace: "old", Name: "legacy", Allowed: true,
				Causes: []Cause{}, Warnings: []string{},
				Patch:  []gomodjsonpatch.Operation{op("add", "/spec/domain/devices/interfaces/0/state", "linkUp")},
				source: "testdata/list.json#1.items[0]",
			}},
			wantSkipped: []string{"testdata/list.json#1.items[1]"},
		},
		"a supported plugin is defaulted": {
			input: pluginVM(""),
			cfg:   withPlugins([]string{"vendor-x"}, nil),
			want: []Result{{
				Kind: "VirtualMachine", Namespace: "ns", Name: "p", Allowed: true,
				Causes: []Cause{}, Warnings: []string{},
				Patch:  []gomodjsonpatch.Operation{op("add", "/spec/template/spec/domain/devices/interfaces/0/state", "linkUp")},
				source: "inline#1",
			}},
		},
		"an unknown plugin is not defaulted, and an explicit linkDown on it warns": {
			input: pluginVM("") + "\n" + pluginVM("linkDown"),
			cfg:   linkstate.DefaultConfig(),
			want: []Result{
				{
					Kind: "VirtualMachine", Namespace: "ns", Name: "p", Allowed: true,
					Causes: []Cause{}, Warnings: []string{}, Patch: noPatch(),
					source: "inline#1",
				},
				{
					Kind: "VirtualMachine", Namespace: "ns", Name: "p", Allowed: true,
					Causes: []Cause{}, Warnings: []string{warnUnknownPlugin}, Patch: noPatch(),
					source: "inline#2",
				},
			},
		},
		"an unsupported plugin denies an explicit linkDown": {
			input: pluginVM("linkDown"),
			cfg:   withPlugins(nil, []string{"vendor-x"}),
			want: []Result{{
				Kind: "VirtualMachine", Namespace: "ns", Name: "p", Allowed: false,
				Causes: []Cause{{
					Field:   "spec.template.spec.domain.devices.interfaces[0].state",
					Message: `Invalid value: "linkDown": binding plugin "vendor-x" does not support link state; leave state empty`,
				}},
				Warnings: []string{}, Patch: noPatch(),
				source: "inline#1",
			}},
		},
		"a VM that cannot be read is denied with the reason": {
			input: `{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "bad"},
			  "spec": {"template": {"spec": {"domain": {"devices": {"interfaces": [{"name": "a", "state": 5}]}}}}}}`,
			cfg: linkstate.DefaultConfig(),
			want: []Result{{
				Kind: "VirtualMachine", Name: "bad", Allowed: false,
				Causes: []Cause{{Message: "cannot read VirtualMachine: json: cannot unmarshal number into Go struct field " +
					"Interface.spec.template.spec.domain.devices.interfaces.state of type v1.InterfaceState"}},
				Warnings: []string{}, Patch: noPatch(),
				source: "inline#1",
			}},
		},
		"only kubevirt.io v1 and v1alpha3 are judged": {
			input: `{"apiVersion": "kubevirt.io/v2", "kind": "VirtualMachine", "metadata": {"name": "v2"}}
{"apiVersion": "example.com/v1", "kind": "VirtualMachineInstance", "metadata": {"name": "other"}}`,
			cfg:         linkstate.DefaultConfig(),
			want:        nil,
			wantSkipped: []string{"inline#1", "inline#2"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var docs []Document
			if tc.file != "" {
				docs = parseFixture(t, tc.file)
			} else {
				var err error
				if docs, err = Parse("inline", strings.NewReader(tc.input)); err != nil {
					t.Fatal(err)
				}
			}
			got, skipped := Run(docs, tc.cfg)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Result{})); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			var gotSkipped []string
			for _, d := range skipped {
				gotSkipped = append(gotSkipped, d.Source)
			}
			if diff := cmp.Diff(tc.wantSkipped, gotSkipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunConverges: the patched object, checked again, needs no patch and gets the same
// verdict — the mutation converges and its output passes validation.
func TestRunConverges(t *testing.T) {
	for _, file := range []string{"testdata/mixed.yaml", "testdata/list.json", "testdata/unknown-fields.yaml"} {
		t.Run(file, func(t *testing.T) {
			docs := parseFixture(t, file)
			first, _ := Run(docs, linkstate.DefaultConfig())
			var judged []Document
			for _, d := range docs {
				if _, ok := kindOf(d.GroupVersionKind()); ok {
					judged = append(judged, d)
				}
			}
			for i, r := range first {
				d := judged[i]
				d.Raw = applyResultPatch(t, d.Raw, r.Patch)
				again, _ := Run([]Document{d}, linkstate.DefaultConfig())
				want := r
				want.Patch = noPatch()
				if diff := cmp.Diff([]Result{want}, again, cmp.AllowUnexported(Result{})); diff != "" {
					t.Errorf("%s checked again after its patch (-want +got):\n%s", d.Source, diff)
				}
			}
		})
	}
}

// TestPatchKeepsUnknownFields: the patch in a Result is targeted, so applying it to the
// input keeps fields the Go types do not know — at the interface and at the top of spec.
func TestPatchKeepsUnknownFields(t *testing.T) {
	docs := parseFixture(t, "testdata/unknown-fields.yaml")
	results, _ := Run(docs, linkstate.DefaultConfig())
	if len(results) != 1 || !results[0].Allowed {
		t.Fatalf("results = %+v, want one allowed", results)
	}
	wantPatch := []gomodjsonpatch.Operation{op("add", "/spec/template/spec/domain/devices/interfaces/0/state", "linkUp")}
	if diff := cmp.Diff(wantPatch, results[0].Patch); diff != "" {
		t.Fatalf("patch (-want +got):\n%s", diff)
	}

	var got map[string]any
	if err := json.Unmarshal(applyResultPatch(t, docs[0].Raw, results[0].Patch), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "kubevirt.io/v1",
		"kind":       "VirtualMachine",
		"metadata":   map[string]any{"name": "future"},
		"spec": map[string]any{
			"futureThing": map[string]any{"a": float64(1)},
			"template": map[string]any{"spec": map[string]any{
				"domain": map[string]any{"devices": map[string]any{"interfaces": []any{
					map[string]any{"name": "blue", "bridge": map[string]any{}, "futureField": float64(1), "state": "linkUp"},
				}}},
				"networks": []any{map[string]any{"name": "blue", "multus": map[string]any{"networkName": "blue-net"}}},
			}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("patched object (-want +got):\n%s", diff)
	}
}

// applyResultPatch applies a Result's patch as the API server would: RFC 6902 with
// evanphx/json-patch.
func applyResultPatch(t *testing.T, raw []byte, ops []gomodjsonpatch.Operation) []byte {
	t.Helper()
	if len(ops) == 0 {
		return raw
	}
	encoded, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	p, err := jsonpatch.DecodePatch(encoded)
	if err != nil {
		t.Fatalf("decoding patch %s: %v", encoded, err)
	}
	out, err := p.Apply(raw)
	if err != nil {
		t.Fatalf("applying patch %s: %v", encoded, err)
	}
	return out
}

func TestWriteText(t *testing.T) {
	docs := append(parseFixture(t, "testdata/mixed.yaml"), parseFixture(t, "testdata/pod-linkdown-vm.yaml")...)
	results, skipped := Run(docs, linkstate.DefaultConfig())
	var out bytes.Buffer
	WriteText(&out, results, skipped)
	want := `ALLOWED  VirtualMachine prod/web  (testdata/mixed.yaml#1)
  patch:   add /spec/template/spec/domain/devices/interfaces/0/state "linkUp"
DENIED   VirtualMachineInstance prod/fast-  (testdata/mixed.yaml#2)
  error:   spec.domain.devices.interfaces[0].state: ` + msgSRIOVLinkDown + `
  error:   spec.domain.devices.interfaces[1].state: ` + msgNotSupportedSideways + `
ALLOWED  VirtualMachine my-vm  (testdata/pod-linkdown-vm.yaml#1)
  warning: ` + warnP1VM + `
SKIPPED  v1 ConfigMap prod/settings  (testdata/mixed.yaml#3): not a KubeVirt VM, VMI or migration
3 checked, 2 allowed, 1 denied, 1 skipped
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}
