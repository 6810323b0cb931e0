package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The texts users see, spelled out: a change to any of them is a change users see.
const (
	warnP1VM = "spec.template.spec.domain.devices.interfaces[0].state: the link of the interface on the " +
		"default network will be down: readiness and liveness probes, services and other cluster traffic through it stop working"
	warnAliasLinkDown = `spec.template.spec.domain.devices.interfaces[0].state: "linkDown" is the seed dialect's spelling; ` +
		`stored as "down", the spelling this cluster uses`
	msgSRIOVLinkDown = `Invalid value: "linkDown": link state cannot be set on an SR-IOV interface: the VF is passed ` +
		"through to the guest and has no virtual link to toggle; leave state empty and set the link from inside the guest"
	checkUsageLine = "Usage: webhook check -f PATH [-f PATH ...] [--policy PATH ...] [--as USER] [--dialect seed|upstream|none|auto] [-o text|json] [rule flags]\n"
)

// runResult is what one call of run left behind.
type runResult struct {
	code           int
	stdout, stderr string
}

func invoke(args []string, stdin string) runResult {
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return runResult{code, stdout.String(), stderr.String()}
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCheckText(t *testing.T) {
	tests := map[string]struct {
		args  []string
		stdin string // a fixture name, read into stdin
		want  runResult
	}{
		"all allowed: exit 0, the patch is shown": {
			args: []string{"check", "-f", "testdata/vm-allowed.yaml"},
			want: runResult{code: 0, stdout: `ALLOWED  VirtualMachine prod/web  (testdata/vm-allowed.yaml#1)
  patch:   add /spec/template/spec/domain/devices/interfaces/0/state "linkUp"
1 checked, 1 allowed, 0 denied, 0 skipped
`},
		},
		"any denied: exit 1": {
			args: []string{"check", "-f", "testdata/vm-allowed.yaml", "-f", "testdata/vmi-denied.json"},
			want: runResult{code: 1, stdout: `ALLOWED  VirtualMachine prod/web  (testdata/vm-allowed.yaml#1)
  patch:   add /spec/template/spec/domain/devices/interfaces/0/state "linkUp"
DENIED   VirtualMachineInstance prod/fast  (testdata/vmi-denied.json#1)
  error:   spec.domain.devices.interfaces[0].state: ` + msgSRIOVLinkDown + `
2 checked, 1 allowed, 1 denied, 0 skipped
`},
		},
		"a ConfigMap is SKIPPED and the run allowed": {
			args: []string{"check", "-f", "testdata/configmap.yaml"},
			want: runResult{code: 0, stdout: `SKIPPED  v1 ConfigMap prod/settings  (testdata/configmap.yaml#1): not a KubeVirt VM, VMI or migration
0 checked, 0 allowed, 0 denied, 1 skipped
`, stderr: "webhook check: no VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration or LinkStatePolicy among 1 documents: nothing judged\n"},
		},
		"a directory: its .yaml, .yml and .json files in sorted order, nothing else": {
			args: []string{"check", "-f", "testdata/dir"},
			want: runResult{code: 0, stdout: `ALLOWED  VirtualMachineInstance a  (testdata/dir/a.json#1)
ALLOWED  VirtualMachine b  (testdata/dir/b.yml#1)
ALLOWED  VirtualMachine c  (testdata/dir/c.yaml#1)
3 checked, 3 allowed, 0 denied, 0 skipped
`},
		},
		"-f - reads stdin": {
			args:  []string{"check", "-f", "-"},
			stdin: "vmi-denied.json",
			want: runResult{code: 1, stdout: `DENIED   VirtualMachineInstance prod/fast  (<stdin>#1)
  error:   spec.domain.devices.interfaces[0].state: ` + msgSRIOVLinkDown + `
1 checked, 0 allowed, 1 denied, 0 skipped
`},
		},
		"the reference VM: allowed with the P1 warning, no patch": {
			args: []string{"check", "-f", "testdata/pod-linkdown-vm.yaml"},
			want: runResult{code: 0, stdout: `ALLOWED  VirtualMachine my-vm  (testdata/pod-linkdown-vm.yaml#1)
  warning: ` + warnP1VM + `
1 checked, 1 allowed, 0 denied, 0 skipped
`},
		},
		"--dialect upstream rewrites linkDown to down, with the alias warning": {
			args: []string{"check", "--dialect", "upstream", "-f", "testdata/pod-linkdown-vm.yaml"},
			want: runResult{code: 0, stdout: `ALLOWED  VirtualMachine my-vm  (testdata/pod-linkdown-vm.yaml#1)
  patch:   replace /spec/template/spec/domain/devices/interfaces/0/state "down"
  warning: ` + warnAliasLinkDown + `
  warning: ` + warnP1VM + `
1 checked, 1 allowed, 0 denied, 0 skipped
`},
		},
		"comma-separated -f": {
			args: []string{"check", "-f", "testdata/configmap.yaml,testdata/vm-allowed.yaml"},
			want: runResult{code: 0, stdout: `ALLOWED  VirtualMachine prod/web  (testdata/vm-allowed.yaml#1)
  patch:   add /spec/template/spec/domain/devices/interfaces/0/state "linkUp"
SKIPPED  v1 ConfigMap prod/settings  (testdata/configmap.yaml#1): not a KubeVirt VM, VMI or migration
1 checked, 1 allowed, 0 denied, 1 skipped
`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			stdin := ""
			if tc.stdin != "" {
				stdin = readFixture(t, tc.stdin)
			}
			got := invoke(tc.args, stdin)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(runResult{})); diff != "" {
				t.Errorf("run(%q) (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// TestCheckJSON: -o json prints one array, in input order across files, each element with
// exactly the documented keys.
func TestCheckJSON(t *testing.T) {
	got := invoke([]string{"check", "-o", "json",
		"-f", "testdata/vmi-denied.json", "-f", "testdata/configmap.yaml", "-f", "testdata/pod-linkdown-vm.yaml",
		"--dialect", "upstream"}, "")
	if got.code != 1 || got.stderr != "" {
		t.Fatalf("exit %d, stderr %q; want exit 1 (one denied), empty stderr", got.code, got.stderr)
	}

	var elems []map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(got.stdout))
	if err := dec.Decode(&elems); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, got.stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", got.stdout)
	}
	wantKeys := []string{"allowed", "causes", "kind", "name", "namespace", "patch", "warnings"}
	for i, e := range elems {
		var keys []string
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if diff := cmp.Diff(wantKeys, keys); diff != "" {
			t.Errorf("element %d: keys (-want +got):\n%s", i, diff)
		}
	}

	var values []any
	if err := json.Unmarshal([]byte(got.stdout), &values); err != nil {
		t.Fatal(err)
	}
	// In the upstream dialect the VMI's linkDown is an alias: it is rewritten to down first,
	// and the rewritten object is what validation denies.
	want := []any{
		map[string]any{
			"kind": "VirtualMachineInstance", "namespace": "prod", "name": "fast", "allowed": false,
			"causes": []any{map[string]any{
				"field":   "spec.domain.devices.interfaces[0].state",
				"message": strings.Replace(msgSRIOVLinkDown, `"linkDown"`, `"down"`, 1),
			}},
			"warnings": []any{`spec.domain.devices.interfaces[0].state: "linkDown" is the seed dialect's spelling; ` +
				`stored as "down", the spelling this cluster uses`},
			"patch": []any{map[string]any{
				"op": "replace", "path": "/spec/domain/devices/interfaces/0/state", "value": "down",
			}},
		},
		map[string]any{
			"kind": "VirtualMachine", "namespace": "", "name": "my-vm", "allowed": true,
			"causes":   []any{},
			"warnings": []any{warnAliasLinkDown, warnP1VM},
			"patch": []any{map[string]any{
				"op": "replace", "path": "/spec/template/spec/domain/devices/interfaces/0/state", "value": "down",
			}},
		},
	}
	if diff := cmp.Diff(want, values); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestCheckJSONEmpty(t *testing.T) {
	got := invoke([]string{"check", "-o", "json", "-f", "testdata/configmap.yaml"}, "")
	want := runResult{code: 0, stdout: "[]\n", stderr: "webhook check: no VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration or LinkStatePolicy among 1 documents: nothing judged\n"}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(runResult{})); diff != "" {
		t.Errorf("only skipped documents (-want +got):\n%s", diff)
	}
}

func TestCheckErrors(t *testing.T) {
	emptyDir := t.TempDir()
	tests := map[string]struct {
		args []string
		// stderr is the exact error output.
		stderr string
	}{
		"missing file": {
			args:   []string{"check", "-f", "testdata/nope.yaml"},
			stderr: "stat testdata/nope.yaml: no such file or directory\n",
		},
		"a missing file after a good one prints nothing but the error": {
			args:   []string{"check", "-f", "testdata/vm-allowed.yaml", "-f", "testdata/nope.yaml"},
			stderr: "stat testdata/nope.yaml: no such file or directory\n",
		},
		"unparsable file": {
			args:   []string{"check", "-f", "testdata/broken.yaml"},
			stderr: "testdata/broken.yaml, document 1: error converting YAML to JSON: yaml: line 2: did not find expected ',' or ']'\n",
		},
		"a directory without manifests": {
			args:   []string{"check", "-f", emptyDir},
			stderr: emptyDir + ": no .yaml, .yml or .json files\n",
		},
		// Each usage error says what is wrong, and where to read more.
		"no -f": {
			args:   []string{"check"},
			stderr: "webhook check: no input: give a file, a directory or - (stdin) with -f\nRun 'webhook check -h' for usage.\n",
		},
		"a path without -f": {
			args:   []string{"check", "examples/"},
			stderr: "webhook check: unexpected argument \"examples/\": give inputs with -f (-f examples/)\nRun 'webhook check -h' for usage.\n",
		},
		"a stray argument": {
			args:   []string{"check", "-f", "testdata/vm-allowed.yaml", "extra"},
			stderr: "webhook check: unexpected argument \"extra\": give inputs with -f (-f extra)\nRun 'webhook check -h' for usage.\n",
		},
		"an unknown flag": {
			args:   []string{"check", "--nope"},
			stderr: "flag provided but not defined: -nope\nRun 'webhook check -h' for usage.\n",
		},
		"a plain text file": {
			args: []string{"check", "-f", "testdata/notes.txt"},
			stderr: "testdata/notes.txt, document 1: not a Kubernetes object: expected a mapping with apiVersion and kind, " +
				"found a string (\"Remember to run the webhook check before…\"): is this a manifest?\n",
		},
		// A producer that emitted nothing must not pass a pipeline.
		"empty stdin": {
			args:   []string{"check", "-f", "-"},
			stderr: "webhook check: no documents in the input (-): nothing to check\n",
		},
		"files with no documents at all": {
			args:   []string{"check", "-f", "testdata/comments-only.yaml"},
			stderr: "webhook check: no documents in the input (testdata/comments-only.yaml): nothing to check\n",
		},
		"unknown -o": {
			args:   []string{"check", "-o", "yaml", "-f", "testdata/vm-allowed.yaml"},
			stderr: "-o: unknown output format \"yaml\": use text or json\n",
		},
		"bad --dialect": {
			args:   []string{"check", "--dialect", "nope", "-f", "testdata/vm-allowed.yaml"},
			stderr: "--dialect: unknown dialect \"nope\": use \"seed\", \"upstream\" or \"none\" (or \"auto\")\n",
		},
		"bad --passt-binding": {
			args:   []string{"check", "--passt-binding", "allow", "-f", "testdata/vm-allowed.yaml"},
			stderr: "--passt-binding: unknown action \"allow\": use \"deny\" or \"warn\"\n",
		},
		"a plugin both supported and unsupported": {
			args: []string{"check", "--supported-plugins", "a,x", "--unsupported-plugins", "x",
				"--unsupported-plugins", "b", "-f", "testdata/vm-allowed.yaml"},
			stderr: "binding plugins listed as both supported and unsupported: [x]\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := invoke(tc.args, "")
			if got.code != 2 {
				t.Errorf("exit %d, want 2", got.code)
			}
			if got.stdout != "" {
				t.Errorf("stdout = %q, want nothing", got.stdout)
			}
			if diff := cmp.Diff(tc.stderr, got.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunCommands(t *testing.T) {
	usage := "linkstate-webhook: admission control for the link state of KubeVirt vNICs.\n"
	tests := map[string]struct {
		args       []string
		wantCode   int
		wantStdout string // first line
		wantStderr string // first line
	}{
		"no command: usage on stderr": {
			args: nil, wantCode: 2, wantStderr: usage,
		},
		"unknown command": {
			args: []string{"frobnicate"}, wantCode: 2, wantStderr: "unknown command \"frobnicate\"\n",
		},
		"help on stdout": {
			args: []string{"help"}, wantCode: 0, wantStdout: usage,
		},
		"serve with a bad dialect stops before starting anything": {
			args: []string{"serve", "--dialect", "nope"}, wantCode: 2,
			wantStderr: "--dialect: unknown dialect \"nope\": use \"seed\", \"upstream\" or \"none\" (or \"auto\")\n",
		},
		"serve with a plugin in both lists stops before starting anything": {
			args: []string{"serve", "--supported-plugins", "x", "--unsupported-plugins", "x"}, wantCode: 2,
			wantStderr: "binding plugins listed as both supported and unsupported: [x]\n",
		},
		"serve with an unknown flag": {
			args: []string{"serve", "--nope"}, wantCode: 2,
			wantStderr: "flag provided but not defined: -nope\n",
		},
		// Help asked for is not an error: usage on stdout, exit 0.
		"serve --help": {
			args: []string{"serve", "--help"}, wantCode: 0, wantStdout: "Usage: webhook serve [flags]\n",
		},
		"serve -h": {
			args: []string{"serve", "-h"}, wantCode: 0, wantStdout: "Usage: webhook serve [flags]\n",
		},
		"check --help": {
			args: []string{"check", "--help"}, wantCode: 0, wantStdout: checkUsageLine,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := invoke(tc.args, "")
			if got.code != tc.wantCode {
				t.Errorf("exit %d, want %d", got.code, tc.wantCode)
			}
			if diff := cmp.Diff(tc.wantStdout, firstLine(got.stdout)); diff != "" {
				t.Errorf("stdout's first line (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantStderr, firstLine(got.stderr)); diff != "" {
				t.Errorf("stderr's first line (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("the usage names every command", func(t *testing.T) {
		got := invoke(nil, "")
		for _, cmd := range []string{"webhook serve [flags]", "webhook check [flags]", "webhook version"} {
			if !strings.Contains(got.stderr, cmd) {
				t.Errorf("usage does not mention %q:\n%s", cmd, got.stderr)
			}
		}
	})
}

// firstLine returns s up to and including its first newline.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i+1]
	}
	return s
}

// `check --dialect auto` needs a cluster to ask: without one it says so, exit 2.
func TestCheckAutoWithoutACluster(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	got := invoke([]string{"check", "--dialect", "auto", "-f", "testdata/vm-allowed.yaml"}, "")
	want := "--dialect auto asks the cluster's KubeVirt, but there is no cluster to ask: pass --kubeconfig (or set KUBECONFIG), or choose --dialect seed, upstream or none\n"
	if diff := cmp.Diff(runResult{code: 2, stderr: want}, got, cmp.AllowUnexported(runResult{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Outside a cluster and without --kubeconfig, serve says what to pass in one line.
func TestServeWithoutACluster(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	got := invoke([]string{"serve", "--dialect", "seed"}, "")
	want := runResult{code: 2, stderr: "webhook serve: no Kubernetes API server to talk to: pass --kubeconfig PATH (or set KUBECONFIG), or run it in a pod\n"}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(runResult{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The help texts list every flag, and say what check judges (migrations too) and how it exits.
func TestHelpTexts(t *testing.T) {
	check := invoke([]string{"check", "-h"}, "")
	for _, want := range []string{"VirtualMachineInstanceMigration", "Exit status: 0 all allowed, 1 any denied, 2 bad input (or no documents at all) or usage.",
		"  -f value\n", "  -dialect string\n", "  -kubeconfig string\n"} {
		if !strings.Contains(check.stdout, want) {
			t.Errorf("check -h lacks %q:\n%s", want, check.stdout)
		}
	}
	serve := invoke([]string{"serve", "-h"}, "")
	for _, want := range []string{"  -kubeconfig string\n", "  -dialect string\n", "  -cert-dir string\n", "  -zap-log-level value\n"} {
		if !strings.Contains(serve.stdout, want) {
			t.Errorf("serve -h lacks %q:\n%s", want, serve.stdout)
		}
	}
}
