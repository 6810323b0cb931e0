package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// binary is onDefineDomain built once for the tests: they run it as the sidecar-shim does.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "onDefineDomain-test-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "onDefineDomain")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building onDefineDomain: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hookDomain is a domain as KubeVirt hands it to a hook, for the VMI in testdata/vmi.json.
func hookDomain(t *testing.T) string {
	return readFile(t, "../../pkg/domain/testdata/kubevirt-hook-input.xml")
}

// withVMI returns testdata/vmi.json changed by edit.
func withVMI(t *testing.T, edit func(vmi map[string]any)) string {
	t.Helper()
	var vmi map[string]any
	if err := json.Unmarshal([]byte(readFile(t, "testdata/vmi.json")), &vmi); err != nil {
		t.Fatal(err)
	}
	edit(vmi)
	raw, err := json.Marshal(vmi)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func interfaces(vmi map[string]any) []any {
	return vmi["spec"].(map[string]any)["domain"].(map[string]any)["devices"].(map[string]any)["interfaces"].([]any)
}

func annotate(vmi map[string]any, value string) {
	vmi["metadata"].(map[string]any)["annotations"].(map[string]any)["linkstate.kubevirt.io/interfaces"] = value
}

// linkDown is doc with <link state='down'/> added as the last child of the <interface>
// with each alias, the way Apply writes it into KubeVirt's encoding.
func linkDown(doc string, aliases ...string) string {
	for _, alias := range aliases {
		i := strings.Index(doc, `<alias name="`+alias+`"></alias>`)
		end := i + strings.Index(doc[i:], "\n\t\t</interface>")
		doc = doc[:end] + "\n\t\t\t<link state='down'/>" + doc[end:]
	}
	return doc
}

type result struct {
	code           int
	stdout, stderr string
}

func runBinary(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

func TestOnDefineDomain(t *testing.T) {
	dom := hookDomain(t)
	vmi := readFile(t, "testdata/vmi.json")
	const usageLine = "Usage: onDefineDomain --vmi <VMI JSON> --domain <domain XML> [--supported-plugins a,b]\n" +
		"  -domain string\n    \tthe domain, as XML (passed by KubeVirt's sidecar-shim)\n" +
		"  -supported-plugins string\n    \tcomma-separated binding plugins whose <interface> gets a link state too (bridge and masquerade always do)\n" +
		"  -vmi string\n    \tthe VirtualMachineInstance, as JSON (passed by KubeVirt's sidecar-shim)\n"
	tests := []struct {
		name string
		args []string
		want result
	}{{
		name: "as the shim calls it: the spec's down links, on tap bindings only",
		args: []string{"--vmi", vmi, "--domain", dom},
		want: result{0, linkDown(dom, "ua-sec"), "onDefineDomain: links down: sec\n"},
	}, {
		name: "a binding plugin declared supported",
		args: []string{"--vmi", vmi, "--domain", dom, "--supported-plugins", "other, vendor-x"},
		want: result{0, linkDown(dom, "ua-sec", "ua-vendor"), "onDefineDomain: links down: sec, vendor\n"},
	}, {
		name: "KubeVirt before v1.5: no states in the spec, the annotation gives them",
		args: []string{"--vmi", withVMI(t, func(v map[string]any) {
			for _, i := range interfaces(v) {
				delete(i.(map[string]any), "state")
			}
			annotate(v, `{"default":"linkUp","sec":"linkDown"}`)
		}), "--domain", dom},
		want: result{0, linkDown(dom, "ua-sec"), "onDefineDomain: links down: sec\n"},
	}, {
		name: "the spec wins over the annotation, and the hook says so",
		args: []string{"--vmi", withVMI(t, func(v map[string]any) { annotate(v, `{"sec":"up","default":"down"}`) }), "--domain", dom},
		want: result{0, linkDown(dom, "ua-sec", "ua-default"),
			"onDefineDomain: interface \"sec\": the spec's state \"linkDown\" wins over \"up\" in annotation linkstate.kubevirt.io/interfaces\n" +
				"onDefineDomain: links down: default, sec\n"},
	}, {
		name: "nothing down: the domain as it came",
		args: []string{"--vmi", withVMI(t, func(v map[string]any) { interfaces(v)[1].(map[string]any)["state"] = "up" }), "--domain", dom},
		want: result{0, dom, "onDefineDomain: links down: none\n"},
	}, {
		name: "--help",
		args: []string{"--help"},
		want: result{0, "", usageLine},
	}, {
		name: "--domain missing",
		args: []string{"--vmi", vmi},
		want: result{2, "", "onDefineDomain: --vmi and --domain are required\n" + usageLine},
	}, {
		name: "an unknown flag",
		args: []string{"--vmi", vmi, "--domain", dom, "--version", "v1alpha3"},
		want: result{2, "", "flag provided but not defined: -version\n" + usageLine},
	}, {
		name: "a stray argument",
		args: []string{"--vmi", vmi, "--domain", dom, "extra"},
		want: result{2, "", "onDefineDomain: unexpected argument \"extra\"\n" + usageLine},
	}, {
		name: "a VMI that is not JSON",
		args: []string{"--vmi", "{not json", "--domain", dom},
		want: result{1, "", "onDefineDomain: --vmi: cannot read the VirtualMachineInstance: invalid character 'n' looking for beginning of object key string\n"},
	}, {
		name: "a VMI with a field of the wrong type",
		args: []string{"--vmi", `{"spec":{"domain":{"devices":{"interfaces":{"name":"x"}}}}}`, "--domain", dom},
		want: result{1, "", "onDefineDomain: --vmi: cannot read the VirtualMachineInstance: json: cannot unmarshal object into Go struct field VirtualMachineInstance.spec.domain.devices.interfaces of type []v1.Interface\n"},
	}, {
		name: "a domain that is not XML",
		args: []string{"--vmi", vmi, "--domain", "{}"},
		want: result{1, "", "onDefineDomain: --domain: domain XML: no <domain> element\n"},
	}, {
		name: "a domain cut short",
		args: []string{"--vmi", vmi, "--domain", dom[:len(dom)/2]},
		want: result{1, "", "onDefineDomain: --domain: domain XML: XML syntax error on line 50: unexpected EOF\n"},
	}, {
		name: "a state no dialect knows",
		args: []string{"--vmi", withVMI(t, func(v map[string]any) { interfaces(v)[1].(map[string]any)["state"] = "Down" }), "--domain", dom},
		want: result{1, "", `onDefineDomain: VirtualMachineInstance tenant-a/vm1: spec.domain.devices.interfaces[1].state: Unsupported value: "Down": supported values: "linkUp", "linkDown", "absent", "up", "down"` + "\n"},
	}, {
		name: "an annotation that is not a JSON object",
		args: []string{"--vmi", withVMI(t, func(v map[string]any) { annotate(v, "sec=linkDown") }), "--domain", dom},
		want: result{1, "", "onDefineDomain: VirtualMachineInstance tenant-a/vm1: annotation linkstate.kubevirt.io/interfaces: not a JSON object of interface name to state: invalid character 's' looking for beginning of value\n"},
	}, {
		name: "a down link on an interface the domain lacks: fails closed",
		args: []string{"--vmi", vmi, "--domain", strings.Replace(dom, `"ua-sec"`, `"ua-renamed"`, 1)},
		want: result{1, "", `onDefineDomain: --domain: cannot set the link down: "sec" has no <interface> with alias "ua-sec"` + "\n"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runBinary(t, tc.args...), cmp.AllowUnexported(result{})); diff != "" {
				t.Errorf("onDefineDomain (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunWritesNothingOnError: the shim takes stdout as the new domain, so a failure must
// leave it empty and say why on stderr, whatever the failure.
func TestRunWritesNothingOnError(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--vmi", "{}"},
		{"--vmi", "[]", "--domain", "<domain/>"},
		{"--vmi", "{}", "--domain", "<domain>"},
		{"--vmi", "{}", "--domain", "<domain/>", "--nope"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		if code == 0 || stdout.Len() != 0 || stderr.Len() == 0 {
			t.Errorf("run(%q) = %d with stdout %q, stderr %q: want a failure, only on stderr", args, code, stdout.String(), stderr.String())
		}
	}
}
