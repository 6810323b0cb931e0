package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

// runCLI runs the plugin in-process, with no cluster: only what fails or finishes before
// any request is tested here (test/kubectl runs the binary against an API server).
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(append([]string{"--kubeconfig", "/nonexistent/kubeconfig"}, args...),
		genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"get"}, "error: a resource type is required: vm or vmi\nSee 'kubectl linkstate get -h' for help and examples\n"},
		{[]string{"get", "vm", "a", "b"}, `error: unexpected arguments ["b"]`},
		{[]string{"get", "vm", "a", "-A"}, "error: a name cannot be combined with --all-namespaces\n"},
		{[]string{"set", "vm"}, "error: a VirtualMachine name is required\nSee 'kubectl linkstate set -h' for help and examples\n"},
		{[]string{"set", "vm", "web", "eth1"}, `error: "eth1": want IFACE=STATE, for example eth1=down`},
		{[]string{"set", "vm", "web", "eth1=down", "--timeout=0s"}, "error: --timeout must be positive, not 0s\n"},
		{[]string{"set", "vm", "web", "eth1=down", "--dry-run=maybe"}, `error: invalid dry-run value (maybe): must be "none" or "server"`},
		{[]string{"unplug", "vmi/x"}, "error: name at least one interface to unplug"},
		{[]string{"unplug", "vm", "x", "--wait=maybe"}, `error: invalid argument "maybe" for "--wait" flag`},
		{[]string{"frobnicate"}, `error: unknown command "frobnicate" for "kubectl linkstate"`},
		{[]string{"gte", "vm"}, "error: unknown command \"gte\" for \"kubectl linkstate\"\n\nDid you mean this?\n\tget\n"},
	} {
		code, stdout, stderr := runCLI(tc.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, stdout, stderr, tc.stderr)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	buildVersion = "v1.2.3"
	defer func() { buildVersion = "" }()
	if code, stdout, _ := runCLI("version"); code != 0 || stdout != "v1.2.3\n" {
		t.Errorf("version: %d %q", code, stdout)
	}
	code, stdout, _ := runCLI("set", "--help")
	if code != 0 || !strings.Contains(stdout, "kubectl linkstate set (vm|vmi) NAME IFACE=STATE [IFACE=STATE ...]") ||
		!strings.Contains(stdout, "--kubeconfig") || !strings.Contains(stdout, "--context") || !strings.Contains(stdout, "--as ") {
		t.Errorf("set --help: %d\n%s", code, stdout)
	}
}

// check passes its arguments through and keeps check.Main's exit status.
func TestCheckExitStatus(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"check", "-f", "../../examples/vm-bridge-secondary.yaml"}, 0},
		{[]string{"check", "-f", "../../examples/vm-sriov-linkdown.yaml"}, 1},
		{[]string{"check", "-f", "../../examples/vm-sriov-linkdown.yaml", "--context", "x"}, 2}, // not a check flag
		{[]string{"check"}, 2},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d\n%s%s", tc.args, code, tc.code, out.String(), errOut.String())
		}
	}
}

// Errors come out as kubectl prints them, with this tool's exit statuses.
func TestReportError(t *testing.T) {
	gk := schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachine"}
	statePath := field.NewPath("spec", "template", "spec", "domain", "devices", "interfaces").Index(1).Child("state")
	for _, tc := range []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"success", nil, 0, ""},
		{"a denial", apierrors.NewInvalid(gk, "web", field.ErrorList{field.Invalid(statePath, "linkDown", "no SR-IOV")}), 1,
			"The VirtualMachine \"web\" is invalid: spec.template.spec.domain.devices.interfaces[1].state: Invalid value: \"linkDown\": no SR-IOV\n"},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Group: "kubevirt.io", Resource: "virtualmachines"}, "web", errors.New("no")), 1,
			"Error from server (Forbidden): virtualmachines.kubevirt.io \"web\" is forbidden: no\n"},
		{"our own", &ownertool.ControlledVMIError{VMI: "web", VM: "web"}, 1, "error: vmi/web is controlled by vm/web"},
		{"usage", usageError{errors.New("bad")}, 2, "error: bad\n"},
		{"timeout", &ownertool.WaitTimeoutError{VMI: "web", Namespace: "ns", Timeout: time.Second, NoVMI: true}, 3,
			"error: timed out after 1s waiting for vmi/web, which does not exist"},
		{"check's status", exitStatus(1), 1, ""},
	} {
		var b bytes.Buffer
		code := reportError(tc.err, &b)
		if code != tc.code || !strings.HasPrefix(b.String(), tc.stderr) || (tc.stderr == "" && b.Len() > 0) {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", tc.name, code, b.String(), tc.code, tc.stderr)
		}
	}
}

func TestDialectFlag(t *testing.T) {
	var f dialectFlag
	if err := f.Set("upstream"); err != nil || f.String() != "upstream" {
		t.Errorf("Set(upstream): %v, %q", err, f.String())
	}
	if err := f.Set("both"); err == nil {
		t.Errorf("Set(both) accepted")
	}
	if diff := cmp.Diff("seed|upstream", f.Type()); diff != "" {
		t.Error(diff)
	}
}
