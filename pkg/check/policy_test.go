package check

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

const (
	tenantNamespace = `
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {tenant: "true"}}`
	keepPodNetwork = `
apiVersion: linkstate.kubevirt.io/v1alpha1
kind: LinkStatePolicy
metadata: {name: tenants}
spec:
  namespaceSelector: {matchLabels: {tenant: "true"}}
  protectedNetworks: [pod]
  exemptions: {users: ["system:serviceaccount:netops:bot"], groups: [netops]}
  message: "ask #netops"`
	auditUnplug = `
apiVersion: linkstate.kubevirt.io/v1alpha1
kind: LinkStatePolicy
metadata: {name: watch}
spec: {mode: Audit, allowedStates: [up, down]}`
)

// podDownVM is a VM in namespace ns (none: "") whose pod network link is down, and whose
// secondary interface is unplugged.
func podDownVM(ns string) string {
	meta := "{name: web}"
	if ns != "" {
		meta = "{name: web, namespace: " + ns + "}"
	}
	return `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: ` + meta + `
spec:
  template:
    spec:
      domain:
        devices:
          interfaces:
          - {name: default, masquerade: {}, state: linkDown}
          - {name: sec, bridge: {}, state: absent}
      networks:
      - {name: default, pod: {}}
      - {name: sec, multus: {networkName: sec-net}}`
}

func parse(t *testing.T, manifests ...string) []Document {
	t.Helper()
	docs, err := Parse("input.yaml", strings.NewReader(strings.Join(manifests, "\n---\n")))
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

const (
	denyPodDown = `Forbidden: LinkStatePolicy "tenants": L2: interface "default" is on the default network (protected as pod): ` +
		`its link may be neither taken down nor unplugged; ask #netops`
	auditAbsent = `spec.template.spec.domain.devices.interfaces[1].state: LinkStatePolicy "watch" (Audit): L1 would deny: ` +
		`state "absent" (hot-unplug) is not among the states this policy allows: up and down`
)

func TestPoliciesInTheInputApply(t *testing.T) {
	report := RunWith(parse(t, tenantNamespace, keepPodNetwork, auditUnplug, podDownVM("team-a"), podDownVM("other")),
		linkstate.DefaultConfig(), Options{User: "alice"})
	var got []string
	for _, r := range report.Results {
		got = append(got, summary(r))
	}
	want := []string{
		"LinkStatePolicy tenants: allowed",
		"LinkStatePolicy watch: allowed",
		"VirtualMachine team-a/web: denied [spec.template.spec.domain.devices.interfaces[0].state: " + denyPodDown + "] warnings [" + warnP1VM + "] audit [" + auditAbsent + "]",
		// Not a tenant namespace; not in the input either, so a note says its labels are unknown.
		"VirtualMachine other/web: allowed warnings [" + warnP1VM + "] audit [" + auditAbsent + `] notes [namespace "other" is not in the input: ` +
			`judged with its name label only (kubernetes.io/metadata.name=other); policies that select namespaces by other labels ` +
			`may apply in the cluster (add the Namespace, e.g. kubectl get namespace other -o yaml)]`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if len(report.Namespaces) != 1 || report.Namespaces[0].Name != "team-a" || len(report.Skipped) != 0 {
		t.Errorf("namespaces %v, skipped %v; want team-a used, nothing skipped", report.Namespaces, report.Skipped)
	}
}

func TestExemptRequesterAndDefaultNamespace(t *testing.T) {
	docs := parse(t, tenantNamespace, keepPodNetwork, podDownVM(""))
	for _, tc := range []struct {
		name    string
		opts    Options
		allowed bool
	}{
		{"a tenant in team-a", Options{User: "alice", Namespace: "team-a"}, false},
		{"the bot", Options{User: "system:serviceaccount:netops:bot", Namespace: "team-a"}, true},
		{"a member of netops", Options{User: "carol", Groups: []string{"system:authenticated", "netops"}, Namespace: "team-a"}, true},
		{"namespace default", Options{User: "alice"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := RunWith(docs, linkstate.DefaultConfig(), tc.opts).Results
			if vm := results[len(results)-1]; vm.Allowed != tc.allowed {
				t.Errorf("allowed %v, want %v: %+v", vm.Allowed, tc.allowed, vm)
			}
		})
	}
}

// A policy the API server would refuse is a denial, in the API server's words, and applies
// to nothing; one it would store but the webhook cannot apply is a warning.
func TestPoliciesTheClusterWouldRefuse(t *testing.T) {
	refused := `
apiVersion: linkstate.kubevirt.io/v1alpha1
kind: LinkStatePolicy
metadata: {name: refused}
spec: {rules: {B1: Warn}, protectedNetworks: [pod], unknownField: 1}`
	unapplied := `
apiVersion: linkstate.kubevirt.io/v1alpha1
kind: LinkStatePolicy
metadata: {name: unapplied}
spec: {namespaceSelector: {matchLabels: {"bad key!": x}}, protectedNetworks: [pod]}`
	results := RunWith(parse(t, refused, unapplied, podDownVM("team-a")), linkstate.DefaultConfig(), Options{}).Results
	var got []string
	for _, r := range results {
		got = append(got, summary(r))
	}
	want := []string{
		`LinkStatePolicy refused: denied [: unknown field "spec.unknownField" spec.rules: Invalid value: "object": ` + msgRuleRelaxedForTest + `]`,
		`LinkStatePolicy unapplied: allowed warnings [not applied (its Ready condition would say so): spec.namespaceSelector: ` +
			`key: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')]`,
		// Neither applies: the pod network's link may go down, with the built-in warning.
		"VirtualMachine team-a/web: allowed warnings [" + warnP1VM + "]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

const msgRuleRelaxedForTest = "V1, B1, A1 and A2 cannot be relaxed: they always deny, because KubeVirt would reject or mishandle what they refuse; set them to Deny or leave them out"

// summary is one line per result: kind, name, verdict, and what it carried.
func summary(r Result) string {
	s := r.Kind + " " + objectName(r.Namespace, r.Name) + ": "
	if r.Allowed {
		s += "allowed"
	} else {
		s += "denied"
	}
	if len(r.Causes) > 0 {
		var causes []string
		for _, c := range r.Causes {
			causes = append(causes, c.Field+": "+c.Message)
		}
		s += " [" + strings.Join(causes, " ") + "]"
	}
	if len(r.Warnings) > 0 {
		s += " warnings [" + strings.Join(r.Warnings, " ") + "]"
	}
	if len(r.Audit) > 0 {
		s += " audit [" + strings.Join(r.Audit, " ") + "]"
	}
	if len(r.Notes) > 0 {
		s += " notes [" + strings.Join(r.Notes, " ") + "]"
	}
	return s
}

func TestPolicyFlag(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	policies := write("policies.yaml", tenantNamespace+"\n---\n"+keepPodNetwork)
	vm := write("vm.yaml", podDownVM("team-a"))

	var stdout, stderr bytes.Buffer
	if code := Main("check", []string{"-f", vm, "--policy", policies}, nil, &stdout, &stderr); code != 1 {
		t.Errorf("exit %d, want 1 (denied by the policy)\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"DENIED   VirtualMachine team-a/web", denyPodDown, "USED     v1 Namespace team-a", "ALLOWED  LinkStatePolicy tenants"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}

	stdout.Reset()
	if code := Main("check", []string{"-f", vm, "--policy", policies, "--as", "bob", "--as-group", "system:authenticated,netops"}, nil, &stdout, &stderr); code != 0 {
		t.Errorf("as a member of netops: exit %d, want 0\n%s%s", code, stdout.String(), stderr.String())
	}

	stderr.Reset()
	if code := Main("check", []string{"-f", vm, "--policy", vm}, nil, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "--policy reads LinkStatePolicies and Namespaces only") {
		t.Errorf("a VM given as --policy: exit %d, want 2 with a reason; stderr:\n%s", code, stderr.String())
	}
}

// Policies and Namespaces apply to the manifests before them too: the streamed check,
// which meets them only after it has judged the VMs, judges the input again (stdin from
// its spooled copy) and prints what judging everything at once prints.
func TestPoliciesAfterTheManifestsApplyToThem(t *testing.T) {
	input := strings.Join([]string{podDownVM("team-a"), podDownVM("other"), tenantNamespace, keepPodNetwork, auditUnplug}, "\n---\n")
	file := filepath.Join(t.TempDir(), "input.yaml")
	if err := os.WriteFile(file, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, asJSON := range []bool{false, true} {
		for _, path := range []string{"-", file} {
			source := "<stdin>"
			if path != "-" {
				source = file
			}
			docs, err := Parse(source, strings.NewReader(input))
			if err != nil {
				t.Fatal(err)
			}
			report := RunWith(docs, linkstate.DefaultConfig(), Options{})
			var want bytes.Buffer
			args := []string{"-f", path}
			if asJSON {
				args = append(args, "-o", "json")
				enc := json.NewEncoder(&want)
				enc.SetIndent("", "  ")
				if err := enc.Encode(report.Results); err != nil {
					t.Fatal(err)
				}
			} else {
				WriteReport(&want, report)
			}
			var stdout, stderr bytes.Buffer
			if code := Main("check", args, strings.NewReader(input), &stdout, &stderr); code != 1 {
				t.Errorf("-f %s, json %v: exit %d, want 1 (team-a/web denied by the policy after it)\n%s", path, asJSON, code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "L2: interface ") {
				t.Errorf("-f %s, json %v: the policy after the VM did not apply to it:\n%s", path, asJSON, stdout.String())
			}
			if diff := cmp.Diff(want.String(), stdout.String()); diff != "" {
				t.Errorf("-f %s, json %v (-all at once +streamed):\n%s", path, asJSON, diff)
			}
		}
	}
}

// Documents parsed one by one share their Source ("input.yaml#1"): each policy is still
// read, applied and reported on its own.
func TestPoliciesWithTheSameSource(t *testing.T) {
	var docs []Document
	for _, m := range []string{tenantNamespace, keepPodNetwork, auditUnplug, podDownVM("team-a")} {
		docs = append(docs, parse(t, m)...)
	}
	report := RunWith(docs, linkstate.DefaultConfig(), Options{User: "alice"})
	var got []string
	for _, r := range report.Results {
		got = append(got, summary(r))
	}
	want := []string{
		"LinkStatePolicy tenants: allowed",
		"LinkStatePolicy watch: allowed",
		"VirtualMachine team-a/web: denied [spec.template.spec.domain.devices.interfaces[0].state: " + denyPodDown + "] warnings [" + warnP1VM + "] audit [" + auditAbsent + "]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}
