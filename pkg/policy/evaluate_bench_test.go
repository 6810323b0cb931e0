package policy_test

import (
	"fmt"
	"testing"

	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// BenchmarkEvaluate is the policies' own cost on a VM with 8 interfaces (the pod network's
// link up, one secondary link down): Set.Evaluate after the built-in rules, without the
// AdmissionReview around it (pkg/server's BenchmarkPolicies measures the handler).
func BenchmarkEvaluate(b *testing.B) {
	ifaces := fixture.Ifaces(fixture.Masquerade("default", "linkUp"))
	nets := []v1.Network{fixture.Pod("default")}
	for i := 1; i < 8; i++ {
		state := "linkUp"
		if i == 4 {
			state = "linkDown"
		}
		name := fmt.Sprintf("sec%d", i)
		ifaces = append(ifaces, fixture.Bridge(name, v1.InterfaceState(state)))
		nets = append(nets, fixture.Multus(name))
	}
	obj := vm(map[string]string{"app": "db"}, ifaces, nets...)
	cfg := linkstate.DefaultConfig()
	builtin := validate.Object(obj, nil, cfg)
	matching := `{metadata: {name: p%03d}, spec: {namespaceSelector: {matchLabels: {tenant: "true"}}, objectSelector: {matchLabels: {app: db}},
	  allowedStates: [up, down], protectedNetworks: [pod, storage-%[1]d], rules: {B3: Warn}, exemptions: {users: [bot-%[1]d], groups: [g-%[1]d]}}}`
	other := `{metadata: {name: p%03d}, spec: {namespaceSelector: {matchLabels: {team: t%[1]d}}, allowedStates: [up, down], protectedNetworks: [pod]}}`
	denying := `{metadata: {name: p%03d}, spec: {allowedStates: [up]}}`
	for _, tc := range []struct {
		name   string
		n      int
		format string
	}{
		{"policies=0", 0, matching},
		{"policies=1/matching", 1, matching},
		{"policies=100/matching", 100, matching},
		{"policies=100/other-namespaces", 100, other},
		{"policies=100/matching-and-denying", 100, denying},
	} {
		var manifests []string
		for i := range tc.n {
			manifests = append(manifests, fmt.Sprintf(tc.format, i))
		}
		set := compile(b, manifests...)
		r := policy.Request{Object: obj, Namespace: "tenant-a", NamespaceLabels: tenantA, User: "alice", Groups: []string{"tenants", "system:authenticated"}, Dialect: cfg.Dialect}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				set.Evaluate(r, builtin)
			}
		})
	}
}
