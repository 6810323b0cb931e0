package policy

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Each mode, met by a tenant: Enforce denies, Warn warns, Audit changes nothing at
// admission and is recorded (the findings metric; also the webhook's log and the audit
// annotation, which pkg/server's tests read).
func TestModes(t *testing.T) {
	ns := namespace(t, map[string]string{"mode-test": "true"})
	unplug := vm("unplug", nil, podNIC(""), secondary("sec", "absent", "frontend"))
	policy := func(mode string) string {
		return `{metadata: {name: modes}, spec: {mode: ` + mode + `, namespaceSelector: {matchLabels: {mode-test: "true"}}, allowedStates: [up, down]}}`
	}
	const finding = `LinkStatePolicy "modes": L1: state "absent" (hot-unplug) is not among the states this policy allows: up and down`

	apply(t, policy("Enforce"))
	expectDenied(t, create(t, alice, ns, unplug, true), `spec.template.spec.domain.devices.interfaces[1].state: Forbidden: `+finding)

	apply(t, policy("Warn"))
	eventually(t, "Warn mode warns", alice, ns, unplug, admitted(`spec.template.spec.domain.devices.interfaces[1].state: `+finding))

	apply(t, policy("Audit"))
	before := auditCount(t, "L1")
	eventually(t, "Audit mode changes nothing at admission", alice, ns, unplug, admitted())
	if after := auditCount(t, "L1"); after <= before {
		t.Errorf(`linkstate_webhook_rule_findings_total{rule="L1",effect="audit"}: %v before, %v after; want it counted`, before, after)
	}
}

// auditCount scrapes the webhook's count of audited findings of rule.
func auditCount(t *testing.T, rule string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("scraping the webhook's metrics: %v", err)
	}
	defer resp.Body.Close()
	want := fmt.Sprintf(`linkstate_webhook_rule_findings_total{effect="audit",rule=%q} `, rule)
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), want); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	return 0
}

// Every field of the spec, one policy at a time, scoped to a namespace of its own by the
// label the API server gives every namespace (%[1]s in the spec is the namespace).
func TestEachField(t *testing.T) {
	const here = `kubernetes.io/metadata.name: %[1]s`
	for _, tc := range []struct {
		name     string
		spec     string
		nsLabels map[string]string
		as       string
		obj      string
		check    func(verdict) error
	}{
		{name: "namespaceSelector matches", spec: `{namespaceSelector: {matchLabels: {team: a, ` + here + `}}, protectedNetworks: [pod]}`,
			nsLabels: map[string]string{"team": "a"}, obj: vm("v", nil, podNIC("linkDown")),
			check: denied(`L2: interface "default" is on the default network`)},
		{name: "namespaceSelector does not match", spec: `{namespaceSelector: {matchLabels: {` + here + `}, matchExpressions: [{key: team, operator: NotIn, values: [a]}]}, protectedNetworks: [pod]}`,
			nsLabels: map[string]string{"team": "a"}, obj: vm("v", nil, podNIC("linkDown")),
			check: admitted(builtinP1)},
		{name: "objectSelector matches the VM's labels", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, objectSelector: {matchLabels: {tier: db}}, allowedStates: [up]}`,
			obj:   vm("v", map[string]string{"tier": "db"}, podNIC(""), secondary("s", "linkDown", "n")),
			check: denied(`L1: state "linkDown" (link down) is not among the states this policy allows: up only`)},
		{name: "objectSelector does not match", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, objectSelector: {matchLabels: {tier: db}}, allowedStates: [up]}`,
			obj: vm("v", map[string]string{"tier": "web"}, podNIC(""), secondary("s", "linkDown", "n")), check: admitted()},
		// The mutating webhook rewrites the alias down to linkDown, with its warning, before
		// the policy judges the meaning.
		{name: "allowedStates: either dialect's spelling", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, allowedStates: [up, absent]}`,
			obj:   vm("v", nil, podNIC(""), secondary("s", "down", "n")),
			check: denied(`L1: state "linkDown" (link down) is not among the states this policy allows: up and absent`)},
		{name: "protectedNetworks: a networkName in the VM's namespace", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, protectedNetworks: [storage]}`,
			obj: vm("v", nil, podNIC(""), secondary("s", "absent", "storage")), check: denied(`L2: interface "s" is on the protected network `)},
		{name: "protectedNetworks: namespace/name", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, protectedNetworks: [infra/storage]}`,
			obj:   vm("v", nil, podNIC(""), secondary("a", "linkDown", "infra/storage"), secondary("b", "linkDown", "storage")),
			check: denied(`spec.template.spec.domain.devices.interfaces[1].state: Forbidden: LinkStatePolicy "field": L2: interface "a" is on the protected network infra/storage`)},
		{name: "protectedNetworks: pod covers a Multus default network", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, protectedNetworks: [pod]}`,
			obj:   vm("v", nil, nic{"primary", "bridge", "linkDown", "default:primary-net"}),
			check: denied(`L2: interface "primary" is on the default network (protected as pod)`)},
		{name: "rules: P1 made a denial", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, rules: {P1: Deny}}`,
			obj:   vm("v", nil, podNIC("linkDown")),
			check: denied(`spec.template.spec.domain.devices.interfaces[0].state: Forbidden: LinkStatePolicy "field": P1: ` + builtinP1)},
		{name: "rules: B3 relaxed to a warning", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, rules: {B3: Warn}}`,
			obj:   vm("v", nil, podNIC(""), nic{"p", "passtBinding", "linkDown", "n"}),
			check: admitted(`LinkStatePolicy "field": B3: the passtBinding binding does not apply link state`)},
		{name: "exemptions: users", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, protectedNetworks: [pod], exemptions: {users: ["system:serviceaccount:netops:bot"]}}`,
			as: bot.Name, obj: vm("v", nil, podNIC("linkDown")), check: admitted(builtinP1)},
		{name: "exemptions: groups", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, protectedNetworks: [pod], exemptions: {groups: [netops]}}`,
			as: carol.Name, obj: vm("v", nil, podNIC("linkDown")), check: admitted(builtinP1)},
		{name: "exemptions: not for others", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, protectedNetworks: [pod], exemptions: {users: [bob], groups: [netops]}}`,
			obj: vm("v", nil, podNIC("linkDown")), check: denied(`L2`)},
		{name: "message", spec: `{namespaceSelector: {matchLabels: {` + here + `}}, protectedNetworks: [pod], message: "call 555-0100"}`,
			obj: vm("v", nil, podNIC("linkDown")), check: denied(`its link may be neither taken down nor unplugged; call 555-0100`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := namespace(t, tc.nsLabels)
			apply(t, `{metadata: {name: field}, spec: `+fmt.Sprintf(tc.spec, ns)+`}`)
			as := alice
			if tc.as != "" {
				as = users[tc.as].user
			}
			if err := tc.check(create(t, as, ns, tc.obj, true)); err != nil {
				t.Error(err)
			}
			remove(t, "field")
			eventually(t, "the policy is gone", as, ns, tc.obj, func(v verdict) error {
				if strings.Contains(strings.Join(append(v.Causes, v.Warnings...), " "), `LinkStatePolicy "field"`) {
					return fmt.Errorf("still applied: %s", v)
				}
				return nil
			})
		})
	}
}

// Two policies on one VM: each finding takes the strictest effect; different findings all
// count. The README's merge example.
func TestOverlappingPolicies(t *testing.T) {
	ns := namespace(t, map[string]string{"tenant": "true", "overlap": "true"})
	apply(t, `{metadata: {name: overlap-tenants}, spec: {namespaceSelector: {matchLabels: {overlap: "true"}}, protectedNetworks: [pod], rules: {P1: Deny}, message: "ask #netops"}}`)
	apply(t, `{metadata: {name: overlap-trial}, spec: {mode: Warn, namespaceSelector: {matchLabels: {overlap: "true"}}, allowedStates: [up, down], rules: {P1: Warn}}}`)
	v := create(t, alice, ns, vm("both", nil, podNIC("linkDown"), secondary("sec", "absent", "frontend")), true)
	expectDenied(t, v,
		`spec.template.spec.domain.devices.interfaces[0].state: Forbidden: LinkStatePolicy "overlap-tenants": P1: `+builtinP1,
		`spec.template.spec.domain.devices.interfaces[0].state: Forbidden: LinkStatePolicy "overlap-tenants": L2: interface "default"`,
	)
	if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], `LinkStatePolicy "overlap-trial": L1: state "absent" (hot-unplug)`) {
		t.Errorf("warnings %q, want the trial's L1 warning alone", v.Warnings)
	}

	// The same finding from both, Enforce and Warn: the Enforce one speaks.
	apply(t, `{metadata: {name: overlap-trial}, spec: {mode: Warn, namespaceSelector: {matchLabels: {overlap: "true"}}, protectedNetworks: [pod]}}`)
	eventually(t, "one L2 denial, no L2 warning", alice, ns, vm("both", nil, podNIC("linkDown")), func(v verdict) error {
		if err := denied(`LinkStatePolicy "overlap-tenants": P1`, `LinkStatePolicy "overlap-tenants": L2`)(v); err != nil {
			return err
		}
		if len(v.Warnings) != 0 {
			return fmt.Errorf("warnings %q, want none: the Warn policy's L2 lost to the Enforce one's", v.Warnings)
		}
		return nil
	})
}

// On update a policy judges only what changed, and selects the object by its old or new
// labels: a state stored before the policy stays; removing the label in the very update
// does not escape it.
func TestUpdates(t *testing.T) {
	ns := namespace(t, nil)
	if v := create(t, alice, ns, vm("web", map[string]string{"tier": "db"}, podNIC(""), secondary("sec", "linkDown", "frontend")), false); v.Denied || v.Other != "" {
		t.Fatalf("creating the VM: %s", v)
	}
	apply(t, `{metadata: {name: updates}, spec: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: `+ns+`}}, objectSelector: {matchLabels: {tier: db}}, allowedStates: [up]}}`)

	stored := getVM(t, ns, "web")
	stored.SetAnnotations(map[string]string{"touched": "yes"})
	expectAdmitted(t, update(t, alice, stored))

	stored = getVM(t, ns, "web")
	stored.SetLabels(nil)
	setState(t, stored, 1, "absent")
	expectDenied(t, update(t, alice, stored), `L1: state "absent" (hot-unplug) is not among the states this policy allows: up only`)
}

func getVM(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := object(t, ns, "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: "+name+"}")
	if err := admin.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func setState(t *testing.T, u *unstructured.Unstructured, i int, state string) {
	t.Helper()
	path := []string{"spec", "template", "spec", "domain", "devices", "interfaces"}
	list, _, err := unstructured.NestedSlice(u.Object, path...)
	if err != nil {
		t.Fatal(err)
	}
	list[i].(map[string]any)["state"] = state
	if err := unstructured.SetNestedSlice(u.Object, list, path...); err != nil {
		t.Fatal(err)
	}
}

// Policies judge VirtualMachineInstances too, at their own paths.
func TestVMIs(t *testing.T) {
	ns := namespace(t, nil)
	apply(t, `{metadata: {name: vmis}, spec: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: `+ns+`}}, protectedNetworks: [pod], allowedStates: [up, down]}}`)
	vmi := `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: vmi}
spec:
  domain:
    devices:
      interfaces:
      - {name: default, masquerade: {}, state: linkDown}
      - {name: sec, bridge: {}, state: absent}
    resources: {requests: {memory: 64Mi}}
  networks:
  - {name: default, pod: {}}
  - {name: sec, multus: {networkName: frontend}}
`
	expectDenied(t, create(t, alice, ns, vmi, true),
		`spec.domain.devices.interfaces[0].state: Forbidden: LinkStatePolicy "vmis": L2: interface "default" is on the default network`,
		`spec.domain.devices.interfaces[1].state: Forbidden: LinkStatePolicy "vmis": L1: state "absent" (hot-unplug)`)
}
