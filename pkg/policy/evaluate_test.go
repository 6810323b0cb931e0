package policy_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// compile reads and compiles policy manifests (metadata and spec, as YAML).
func compile(t testing.TB, manifests ...string) *policy.Set {
	t.Helper()
	var ps []*policy.Policy
	for _, m := range manifests {
		p := &v1alpha1.LinkStatePolicy{}
		if err := yaml.UnmarshalStrict([]byte(m), p); err != nil {
			t.Fatalf("bad test manifest: %v\n%s", err, m)
		}
		c, err := policy.Compile(p)
		if err != nil {
			t.Fatalf("Compile: %v\n%s", err, m)
		}
		ps = append(ps, c)
	}
	return policy.NewSet(ps...)
}

// vm is a VM in namespace tenant-a with the given labels, interfaces and networks.
func vm(lbls map[string]string, ifaces []v1.Interface, nets ...v1.Network) *linkstate.Object {
	return &linkstate.Object{Kind: linkstate.VirtualMachine, Namespace: "tenant-a", Name: "vm", Labels: lbls,
		Spec: *fixture.Spec(ifaces, nets...)}
}

func multus(name, networkName string) v1.Network {
	return v1.Network{Name: name, NetworkSource: v1.NetworkSource{Multus: &v1.MultusNetwork{NetworkName: networkName}}}
}

// tenantA is the namespace of the test VMs, as the API server labels it.
var tenantA = policy.NamespaceLabels("tenant-a", map[string]string{"tenant": "true"})

// evaluate judges obj (created, or updated from old) by alice with the built-in rules, then
// the policies: what the validating reviewer answers with.
func evaluate(set *policy.Set, obj, old *linkstate.Object, cfg linkstate.Config) finding.Findings {
	return evaluateAs(set, obj, old, cfg, "alice", "tenants")
}

func evaluateAs(set *policy.Set, obj, old *linkstate.Object, cfg linkstate.Config, user string, groups ...string) finding.Findings {
	builtin := validate.Object(obj, old, cfg)
	return set.Evaluate(policy.Request{Object: obj, Old: old, Namespace: "tenant-a", NamespaceLabels: tenantA,
		User: user, Groups: groups, Dialect: cfg.Dialect}, builtin)
}

const vmIfaces = "spec.template.spec.domain.devices.interfaces"

func state(i int) string {
	return field.NewPath("spec", "template", "spec", "domain", "devices", "interfaces").Index(i).Child("state").String()
}

func deny(rule finding.Rule, pol string, i int, text string) finding.Finding {
	return finding.Finding{Rule: rule, Policy: pol, Err: &field.Error{Type: field.ErrorTypeForbidden, Field: state(i), Detail: text}}
}

func warn(rule finding.Rule, pol string, i int, text string) finding.Finding {
	return finding.Finding{Rule: rule, Policy: pol, Warning: state(i) + ": " + text, Field: state(i)}
}

func audit(rule finding.Rule, pol string, i int, text string) finding.Finding {
	return finding.Finding{Rule: rule, Policy: pol, Warning: state(i) + ": " + text, Field: state(i), Audited: true}
}

const (
	prodPolicy = `
metadata: {name: production}
spec:
  namespaceSelector: {matchLabels: {tenant: "true"}}
  allowedStates: [up, down]
  message: "ask #netops for exceptions"`
	podPolicy = `
metadata: {name: tenants}
spec:
  protectedNetworks: [pod, storage]`
)

// The sentences, one policy each, against the interfaces they are about.
func TestOwnRules(t *testing.T) {
	cfg := linkstate.DefaultConfig()
	for _, tc := range []struct {
		name     string
		policies []string
		obj      *linkstate.Object
		want     finding.Findings
	}{
		{
			name:     "no hot-unplug in production: absent is refused, down is not",
			policies: []string{prodPolicy},
			obj: vm(nil, fixture.Ifaces(fixture.Masquerade("default", ""), fixture.Bridge("a", "absent"), fixture.Bridge("b", "linkDown")),
				fixture.Pod("default"), fixture.Multus("a"), fixture.Multus("b")),
			want: finding.Findings{deny(finding.RulePolicyState, "production", 1,
				`LinkStatePolicy "production": L1: state "absent" (hot-unplug) is not among the states this policy allows: up and down; ask #netops for exceptions`)},
		},
		{
			name:     "secondary NICs may toggle, the pod network may not go down",
			policies: []string{podPolicy},
			obj: vm(nil, fixture.Ifaces(fixture.Masquerade("default", "linkDown"), fixture.Bridge("sec", "linkDown")),
				fixture.Pod("default"), fixture.Multus("sec")),
			want: finding.Findings{
				// P1, the built-in warning, stays; the policy denies.
				finding.Warn(finding.RuleDefaultNetDown, field.NewPath(vmIfaces).Index(0).Child("state"), validateMsgDefaultNetDown),
				deny(finding.RulePolicyNetwork, "tenants", 0,
					`LinkStatePolicy "tenants": L2: interface "default" is on the default network (protected as pod): its link may be neither taken down nor unplugged`),
			},
		},
		{
			name:     "pod protects a Multus network that replaces the pod network",
			policies: []string{podPolicy},
			obj:      vm(nil, fixture.Ifaces(fixture.Bridge("primary", "linkDown")), fixture.MultusDefault("primary")),
			want: finding.Findings{
				finding.Warn(finding.RuleDefaultNetDown, field.NewPath(vmIfaces).Index(0).Child("state"), validateMsgDefaultNetDown),
				deny(finding.RulePolicyNetwork, "tenants", 0,
					`LinkStatePolicy "tenants": L2: interface "primary" is on the default network (protected as pod): its link may be neither taken down nor unplugged`),
			},
		},
		{
			name:     "a networkName without namespace is in the VM's: storage and tenant-a/storage are one network, other/storage another",
			policies: []string{podPolicy},
			obj: vm(nil, fixture.Ifaces(fixture.Bridge("s1", "absent"), fixture.Bridge("s2", "linkDown"), fixture.Bridge("s3", "linkDown")),
				multus("s1", "storage"), multus("s2", "tenant-a/storage"), multus("s3", "other/storage")),
			want: finding.Findings{
				deny(finding.RulePolicyNetwork, "tenants", 0,
					`LinkStatePolicy "tenants": L2: interface "s1" is on the protected network tenant-a/storage: its link may be neither taken down nor unplugged`),
				deny(finding.RulePolicyNetwork, "tenants", 1,
					`LinkStatePolicy "tenants": L2: interface "s2" is on the protected network tenant-a/storage: its link may be neither taken down nor unplugged`),
			},
		},
		{
			name:     "up, empty and invalid states are never a policy's to refuse",
			policies: []string{`{metadata: {name: strict}, spec: {allowedStates: [up], protectedNetworks: [pod]}}`},
			obj: vm(nil, fixture.Ifaces(fixture.Masquerade("default", "linkUp"), fixture.Bridge("a", ""), fixture.Bridge("b", "sideways")),
				fixture.Pod("default"), fixture.Multus("a"), fixture.Multus("b")),
			want: finding.Findings{finding.Deny(finding.RuleValue, field.NotSupported(field.NewPath(vmIfaces).Index(2).Child("state"),
				v1.InterfaceState("sideways"), linkstate.Seed.LegalValues()))},
		},
		{
			name:     "either dialect's spelling means down",
			policies: []string{`{metadata: {name: strict}, spec: {allowedStates: [up]}}`},
			obj:      vm(nil, fixture.Ifaces(fixture.Bridge("a", "down")), fixture.Multus("a")),
			want: finding.Findings{deny(finding.RulePolicyState, "strict", 0,
				`LinkStatePolicy "strict": L1: state "down" (link down) is not among the states this policy allows: up only`)},
		},
		{
			name:     "Warn mode warns, Audit mode records",
			policies: []string{`{metadata: {name: trial}, spec: {mode: Warn, allowedStates: [up]}}`, `{metadata: {name: watch}, spec: {mode: Audit, protectedNetworks: [b]}}`},
			obj:      vm(nil, fixture.Ifaces(fixture.Bridge("b", "linkDown")), multus("b", "b")),
			want: finding.Findings{
				warn(finding.RulePolicyState, "trial", 0, `LinkStatePolicy "trial": L1: state "linkDown" (link down) is not among the states this policy allows: up only`),
				audit(finding.RulePolicyNetwork, "watch", 0, `LinkStatePolicy "watch" (Audit): L2 would deny: interface "b" is on the protected network tenant-a/b: its link may be neither taken down nor unplugged`),
			},
		},
		{
			name: "overlapping policies: the strictest mode wins, then the first by name",
			policies: []string{
				`{metadata: {name: a-trial}, spec: {mode: Warn, allowedStates: [up]}}`,
				`{metadata: {name: c-enforced}, spec: {allowedStates: [up, absent], message: "from c"}}`,
				`{metadata: {name: b-enforced}, spec: {allowedStates: [up], message: "from b"}}`,
				`{metadata: {name: d-audit}, spec: {mode: Audit, allowedStates: [up]}}`,
			},
			obj: vm(nil, fixture.Ifaces(fixture.Bridge("a", "linkDown")), fixture.Multus("a")),
			want: finding.Findings{deny(finding.RulePolicyState, "b-enforced", 0,
				`LinkStatePolicy "b-enforced": L1: state "linkDown" (link down) is not among the states this policy allows: up only; from b`)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := evaluate(compile(t, tc.policies...), tc.obj, nil, cfg)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// The built-in P1 warning's text, as pkg/validate words it.
var validateMsgDefaultNetDown = func() string {
	fs := validate.Object(vm(nil, fixture.Ifaces(fixture.Masquerade("default", "linkDown")), fixture.Pod("default")), nil, linkstate.DefaultConfig())
	return fs[0].Warning[len(state(0))+2:]
}()

// Who and what a policy applies to: namespaces and objects by labels, old or new; exempt
// users and groups are judged by the built-in rules only.
func TestScope(t *testing.T) {
	cfg := linkstate.DefaultConfig()
	down := func(lbls map[string]string) *linkstate.Object {
		return vm(lbls, fixture.Ifaces(fixture.Bridge("a", "linkDown")), fixture.Multus("a"))
	}
	up := func(lbls map[string]string) *linkstate.Object {
		return vm(lbls, fixture.Ifaces(fixture.Bridge("a", "linkUp")), fixture.Multus("a"))
	}
	denies := func(fs finding.Findings) bool { return len(fs.Errors()) > 0 }
	for _, tc := range []struct {
		name        string
		policy      string
		obj, old    *linkstate.Object
		user        string
		groups      []string
		wantDenials bool
	}{
		{"namespace selected", `namespaceSelector: {matchLabels: {tenant: "true"}}`, down(nil), nil, "alice", nil, true},
		{"namespace not selected", `namespaceSelector: {matchLabels: {tenant: "false"}}`, down(nil), nil, "alice", nil, false},
		{"namespace by its name label", `namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [tenant-a]}]}`, down(nil), nil, "alice", nil, true},
		{"object selected", `objectSelector: {matchLabels: {tier: prod}}`, down(map[string]string{"tier": "prod"}), nil, "alice", nil, true},
		{"object not selected", `objectSelector: {matchLabels: {tier: prod}}`, down(map[string]string{"tier": "dev"}), nil, "alice", nil, false},
		{"object selected by its old labels: removing the label does not escape", `objectSelector: {matchLabels: {tier: prod}}`,
			down(nil), up(map[string]string{"tier": "prod"}), "alice", nil, true},
		{"object selected by its new labels", `objectSelector: {matchLabels: {tier: prod}}`,
			down(map[string]string{"tier": "prod"}), up(nil), "alice", nil, true},
		{"exempt user", `exemptions: {users: ["system:serviceaccount:netops:bot"]}`, down(nil), nil, "system:serviceaccount:netops:bot", nil, false},
		{"exempt group", `exemptions: {groups: [netops]}`, down(nil), nil, "carol", []string{"system:authenticated", "netops"}, false},
		{"not exempt", `exemptions: {users: [bob], groups: [netops]}`, down(nil), nil, "alice", []string{"tenants"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := compile(t, "{metadata: {name: p}, spec: {allowedStates: [up], "+tc.policy+"}}")
			got := evaluateAs(set, tc.obj, tc.old, cfg, tc.user, tc.groups...)
			if denies(got) != tc.wantDenials {
				t.Errorf("denied: %v, want %v; findings %+v", denies(got), tc.wantDenials, got)
			}
		})
	}
}

// On update only changed interfaces are judged; unlike the built-in rules, moving an
// interface to another network is a change.
func TestUpdatesJudgeWhatChanged(t *testing.T) {
	cfg := linkstate.DefaultConfig()
	set := compile(t, `{metadata: {name: p}, spec: {allowedStates: [up], protectedNetworks: [storage]}}`)
	old := vm(nil, fixture.Ifaces(fixture.Bridge("a", "linkDown"), fixture.Bridge("b", "linkDown")), multus("a", "front"), multus("b", "back"))
	for _, tc := range []struct {
		name string
		obj  *linkstate.Object
		want []finding.Rule
	}{
		{"untouched: a state stored before the policy stays", vm(map[string]string{"relabelled": "yes"},
			fixture.Ifaces(fixture.Bridge("a", "linkDown"), fixture.Bridge("b", "linkDown")), multus("a", "front"), multus("b", "back")), nil},
		{"the other dialect's spelling of the same state is no change", vm(nil,
			fixture.Ifaces(fixture.Bridge("a", "down"), fixture.Bridge("b", "linkDown")), multus("a", "front"), multus("b", "back")), nil},
		{"moved onto a protected network", vm(nil,
			fixture.Ifaces(fixture.Bridge("a", "linkDown"), fixture.Bridge("b", "linkDown")), multus("a", "storage"), multus("b", "back")),
			[]finding.Rule{finding.RulePolicyState, finding.RulePolicyNetwork}},
		{"a new interface", vm(nil,
			fixture.Ifaces(fixture.Bridge("a", "linkDown"), fixture.Bridge("b", "linkDown"), fixture.Bridge("c", "absent")),
			multus("a", "front"), multus("b", "back"), multus("c", "c")),
			[]finding.Rule{finding.RulePolicyState}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []finding.Rule
			for _, f := range evaluate(set, tc.obj, old, cfg) {
				got = append(got, f.Rule)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rules found (-want +got):\n%s", diff)
			}
		})
	}
}

// spec.rules: only Enforce-mode policies change a built-in rule's effect, the strictest
// wins, relaxing is possible where the CRD allows it; Audit records what it would change.
func TestBuiltinRuleEffects(t *testing.T) {
	passtDown := vm(nil, fixture.Ifaces(fixture.Masquerade("default", "linkDown"), fixture.PasstBinding("p", "linkDown")),
		fixture.Pod("default"), fixture.Multus("p"))
	p1 := validateMsgDefaultNetDown
	b3 := "the passtBinding binding does not apply link state; leave state empty, or use the masquerade or bridge binding to control the link"
	builtinP1 := finding.Warn(finding.RuleDefaultNetDown, field.NewPath(vmIfaces).Index(0).Child("state"), p1)
	builtinB3 := finding.Deny(finding.RulePasstBinding, field.Invalid(field.NewPath(vmIfaces).Index(1).Child("state"), v1.InterfaceState("linkDown"), b3))
	for _, tc := range []struct {
		name     string
		policies []string
		want     finding.Findings
	}{
		{"no entry: the built-in effects", []string{`{metadata: {name: a}, spec: {allowedStates: [up, down]}}`},
			finding.Findings{builtinP1, builtinB3}},
		{"P1: Deny makes the pod network's link down a denial, named after the policy",
			[]string{`{metadata: {name: strict}, spec: {rules: {P1: Deny}, message: "ask #netops"}}`},
			finding.Findings{deny(finding.RuleDefaultNetDown, "strict", 0, `LinkStatePolicy "strict": P1: `+p1+`; ask #netops`), builtinB3}},
		{"B3: Warn relaxes the built-in denial", []string{`{metadata: {name: lenient}, spec: {rules: {B3: Warn}}}`},
			finding.Findings{builtinP1, warn(finding.RulePasstBinding, "lenient", 1, `LinkStatePolicy "lenient": B3: `+b3)}},
		{"two policies disagree: the strictest wins", []string{
			`{metadata: {name: lenient}, spec: {rules: {B3: Warn, P1: Warn}}}`,
			`{metadata: {name: strict}, spec: {rules: {B3: Deny, P1: Deny}}}`},
			finding.Findings{deny(finding.RuleDefaultNetDown, "strict", 0, `LinkStatePolicy "strict": P1: `+p1), builtinB3}},
		{"a Warn-mode entry changes nothing", []string{`{metadata: {name: trial}, spec: {mode: Warn, rules: {P1: Deny, B3: Warn}}}`},
			finding.Findings{builtinP1, builtinB3}},
		{"an Audit-mode entry records what it would change", []string{`{metadata: {name: watch}, spec: {mode: Audit, rules: {P1: Deny, B3: Deny}}}`},
			finding.Findings{builtinP1, audit(finding.RuleDefaultNetDown, "watch", 0, `LinkStatePolicy "watch" (Audit): P1 would deny: `+p1), builtinB3}},
		{"an exempt requester gets the built-in effects", []string{`{metadata: {name: strict}, spec: {rules: {P1: Deny}, exemptions: {users: [alice]}}}`},
			finding.Findings{builtinP1, builtinB3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := evaluate(compile(t, tc.policies...), passtDown, nil, linkstate.DefaultConfig())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// The README's merge example: a tenants policy (Enforce) and a trial (Warn) on one VM.
func TestMergeExample(t *testing.T) {
	set := compile(t,
		`{metadata: {name: tenants}, spec: {namespaceSelector: {matchLabels: {tenant: "true"}}, protectedNetworks: [pod], rules: {P1: Deny}, message: "ask #netops"}}`,
		`{metadata: {name: no-unplug-trial}, spec: {mode: Warn, allowedStates: [up, down]}}`,
	)
	obj := vm(nil, fixture.Ifaces(fixture.Masquerade("default", "linkDown"), fixture.Bridge("sec", "absent")),
		fixture.Pod("default"), fixture.Multus("sec"))
	got := evaluate(set, obj, nil, linkstate.DefaultConfig())
	want := finding.Findings{
		deny(finding.RuleDefaultNetDown, "tenants", 0, `LinkStatePolicy "tenants": P1: `+validateMsgDefaultNetDown+`; ask #netops`),
		deny(finding.RulePolicyNetwork, "tenants", 0, `LinkStatePolicy "tenants": L2: interface "default" is on the default network (protected as pod): its link may be neither taken down nor unplugged; ask #netops`),
		warn(finding.RulePolicyState, "no-unplug-trial", 1, `LinkStatePolicy "no-unplug-trial": L1: state "absent" (hot-unplug) is not among the states this policy allows: up and down`),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestApplyLooksNamespacesUpOnlyWhenSelected(t *testing.T) {
	obj := vm(nil, fixture.Ifaces(fixture.Bridge("a", "linkDown")), fixture.Multus("a"))
	for _, tc := range []struct {
		name       string
		src        policy.Source
		wantLookup bool
		wantDenied bool
	}{
		{"no source", nil, false, false},
		{"no policies", &countingSource{set: compile(t)}, false, false},
		{"no namespace selector", &countingSource{set: compile(t, `{metadata: {name: p}, spec: {allowedStates: [up]}}`)}, false, true},
		{"namespace selector", &countingSource{set: compile(t, `{metadata: {name: p}, spec: {allowedStates: [up], namespaceSelector: {matchLabels: {tenant: "true"}}}}`)}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := policy.Apply(context.Background(), tc.src, policy.Request{Object: obj, Namespace: "tenant-a", Dialect: linkstate.Seed}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(fs.Errors()) > 0; got != tc.wantDenied {
				t.Errorf("denied %v, want %v: %+v", got, tc.wantDenied, fs)
			}
			if c, ok := tc.src.(*countingSource); ok && (c.lookups > 0) != tc.wantLookup {
				t.Errorf("%d namespace lookups, want some: %v", c.lookups, tc.wantLookup)
			}
		})
	}
}

type countingSource struct {
	set     *policy.Set
	lookups int
}

func (c *countingSource) Policies(context.Context) (*policy.Set, error) { return c.set, nil }

func (c *countingSource) NamespaceLabels(_ context.Context, ns string) (labels.Set, error) {
	c.lookups++
	return policy.NamespaceLabels(ns, map[string]string{"tenant": "true"}), nil
}
