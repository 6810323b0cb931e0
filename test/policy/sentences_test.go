package policy

import (
	"strings"
	"testing"
)

// The issue's four sentences, as the policies in config/samples that the README shows,
// applied by the operator and met by tenants with kubectl:
//
//   - "tenants may toggle their secondary NICs but never take down the pod network"
//   - "no hot-unplug in production"
//   - "warn first, enforce next month"
//   - "our network team's bot is exempt"
func TestTheIssuesSentences(t *testing.T) {
	applyFile(t, "config/samples/tenants-keep-pod-network.yaml")
	applyFile(t, "config/samples/production-no-hot-unplug.yaml")
	applyFile(t, "config/samples/storage-warn-first.yaml")
	tenantNS := namespace(t, map[string]string{"tenant": "true"})
	prodNS := namespace(t, map[string]string{"environment": "production"})

	t.Run("tenants may toggle their secondary NICs", func(t *testing.T) {
		out, err := kubectl(t, alice, vm("toggle", nil, podNIC(""), secondary("sec", "linkDown", "frontend")), "create", "-n", tenantNS, "-f", "-")
		if err != nil || !strings.Contains(out, "virtualmachine.kubevirt.io/toggle created") {
			t.Errorf("kubectl create: %v\n%s", err, out)
		}
	})
	t.Run("but never take down the pod network", func(t *testing.T) {
		out, err := kubectl(t, alice, vm("pod-down", nil, podNIC("linkDown"), secondary("sec", "", "frontend")), "create", "-n", tenantNS, "-f", "-")
		want := `The VirtualMachine "pod-down" is invalid: spec.template.spec.domain.devices.interfaces[0].state: Forbidden: ` +
			`LinkStatePolicy "tenants-keep-pod-network": L2: interface "default" is on the default network (protected as pod): ` +
			`its link may be neither taken down nor unplugged; the pod network carries probes and services; ask #netops for exceptions`
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("kubectl create: %v\n%s\nwant the denial:\n%s", err, out, want)
		}
	})
	t.Run("no hot-unplug in production", func(t *testing.T) {
		out, err := kubectl(t, alice, vm("unplug", nil, podNIC(""), secondary("sec", "absent", "frontend")), "create", "-n", prodNS, "-f", "-")
		want := `spec.template.spec.domain.devices.interfaces[1].state: Forbidden: LinkStatePolicy "production-no-hot-unplug": L1: ` +
			`state "absent" (hot-unplug) is not among the states this policy allows: up and down; hot-unplug in production needs a change ticket: ask #netops`
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("kubectl create: %v\n%s\nwant the denial:\n%s", err, out, want)
		}
		// Links may still go down there; and outside production, unplugging is fine.
		if out, err := kubectl(t, alice, vm("down", nil, podNIC(""), secondary("sec", "linkDown", "frontend")), "create", "-n", prodNS, "-f", "-"); err != nil {
			t.Errorf("link down in production: %v\n%s", err, out)
		}
		if out, err := kubectl(t, alice, vm("unplug", nil, podNIC(""), secondary("sec", "absent", "frontend")), "create", "-n", tenantNS, "-f", "-"); err != nil {
			t.Errorf("hot-unplug in a tenant namespace: %v\n%s", err, out)
		}
	})
	t.Run("warn first", func(t *testing.T) {
		out, err := kubectl(t, alice, vm("storage-down", nil, podNIC(""), secondary("st", "linkDown", "storage")), "create", "-n", tenantNS, "-f", "-", "--dry-run=server")
		want := `Warning: spec.template.spec.domain.devices.interfaces[1].state: LinkStatePolicy "storage-warn-first": L2: interface "st" is on the protected network ` +
			tenantNS + `/storage: its link may be neither taken down nor unplugged; enforced from the first of next month: keep the storage network's links up`
		if err != nil || !strings.Contains(out, want) || !strings.Contains(out, "created (server dry run)") {
			t.Errorf("kubectl create: %v\n%s\nwant it created, with the warning:\n%s", err, out, want)
		}
	})
	t.Run("enforce next month", func(t *testing.T) {
		// The comment in the sample says how: one patch, no restart.
		out, err := kubectl(t, asAdmin, "", "patch", "linkstatepolicy", "storage-warn-first", "--type", "merge", "-p", `{"spec":{"mode":"Enforce"}}`)
		if err != nil {
			t.Fatalf("kubectl patch: %v\n%s", err, out)
		}
		eventually(t, "the storage network is protected", alice, tenantNS, vm("storage-down", nil, podNIC(""), secondary("st", "linkDown", "storage")),
			denied(`Forbidden: LinkStatePolicy "storage-warn-first": L2: interface "st" is on the protected network `+tenantNS+`/storage`))
	})
	t.Run("our network team's bot is exempt", func(t *testing.T) {
		for _, u := range []string{bot.Name, carol.Name} {
			// The bot (by name) and carol (by group netops) escape tenants-keep-pod-network,
			// not storage-warn-first, which exempts nobody: exemptions are per policy.
			v := create(t, users[u].user, tenantNS, vm("by-netops", nil, podNIC("linkDown"), secondary("st", "linkDown", "storage")), true)
			expectDenied(t, v, `LinkStatePolicy "storage-warn-first": L2`)
			v = create(t, users[u].user, tenantNS, vm("by-netops", nil, podNIC("linkDown")), true)
			expectAdmitted(t, v, builtinP1)
		}
		// The bot is exempt from the production policy too; carol is not.
		expectAdmitted(t, create(t, bot, prodNS, vm("bot-unplug", nil, podNIC(""), secondary("sec", "absent", "frontend")), true))
		expectDenied(t, create(t, carol, prodNS, vm("carol-unplug", nil, podNIC(""), secondary("sec", "absent", "frontend")), true),
			`LinkStatePolicy "production-no-hot-unplug": L1`)
	})
}
