package adversarial

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
)

// The messages the attempts must print.
const (
	// The guard of the opt-out label (config/optout), enforced by the API server.
	guardDenial = "denied request: only cluster operators may set, change or remove the linkstate.kubevirt.io/webhook label"
	// Rule B1 of the validating webhook.
	sriovDenial = `Invalid value: "linkDown": link state cannot be set on an SR-IOV interface`
	// Rule M2 on update.
	stampImmutable = "Forbidden: is stamped by linkstate-webhook from the VMI when the migration is created and cannot be changed afterwards"
)

// attempts is every way in the suite tries, in the order it tries them (later ones build
// on what earlier ones stored). README.md's table lists exactly these.
func attempts() []attempt {
	var all []attempt
	for _, group := range [][]attempt{optOutAttempts(), boundaryAttempts(), vmAttempts(), policyAttempts(), migrationAttempts(), operatorAttempts(), webhookDownAttempts()} {
		all = append(all, group...)
	}
	return all
}

func TestAttempts(t *testing.T) {
	for i, a := range attempts() {
		t.Run(fmt.Sprintf("%02d %s", i+1, a.what), a.run)
	}
}

// The opt-out label on the tenant's own namespaces, every way kubectl writes a namespace.
func optOutAttempts() []attempt {
	refused := func(what string, args ...string) attempt {
		return attempt{what: what, as: tenant, args: args, exit: 1, says: []string{"(Forbidden)", guardDenial},
			stored: unchanged(namespaceGVK, "", tenantNS)}
	}
	addJSONPatch := `[{"op":"add","path":"/metadata/labels/linkstate.kubevirt.io~1webhook","value":"disabled"}]`
	addMergePatch := `{"metadata":{"labels":{"linkstate.kubevirt.io/webhook":"disabled"}}}`
	first := refused("add the label", "label", "namespace", tenantNS, optOutLabel+"=disabled")
	first.says = append(first.says, "group system:masters, "+releaseSAName+"; ask one to exempt this namespace")
	return []attempt{
		first,
		refused("add it, server-side dry run", "label", "namespace", tenantNS, optOutLabel+"=disabled", "--dry-run=server"),
		refused("add it with an empty value", "label", "namespace", tenantNS, optOutLabel+"="),
		refused("add it, JSON patch", "patch", "namespace", tenantNS, "--type=json", "-p", addJSONPatch),
		refused("add it, merge patch", "patch", "namespace", tenantNS, "--type=merge", "-p", addMergePatch),
		refused("add it, strategic merge patch", "patch", "namespace", tenantNS, "--type=strategic", "-p", addMergePatch),
		refused("add it, replace", "replace", "-f", "tenant-a-optout.yaml"),
		refused("add it, server-side apply", "apply", "--server-side", "-f", "tenant-a-optout.yaml"),
		refused("add it through the status subresource", "patch", "namespace", tenantNS, "--subresource=status", "--type=merge", "-p", addMergePatch),
		refused("add it through the finalize subresource", "replace", "--raw", "/api/v1/namespaces/"+tenantNS+"/finalize", "-f", "tenant-a-finalize.json"),
		{
			what: "change it (enabled → disabled)", as: tenant,
			args: []string{"label", "namespace", labelledNS, optOutLabel + "=disabled", "--overwrite"},
			exit: 1, says: []string{"(Forbidden)", guardDenial}, stored: unchanged(namespaceGVK, "", labelledNS),
		},
		{
			what: "change it, server-side apply: the operator's field", as: tenant,
			args: []string{"apply", "--server-side", "-f", "tenant-a-labelled-optout.yaml"},
			exit: 1, says: []string{"Apply failed with 1 conflict", `conflict with "operator"`, ".metadata.labels.linkstate.kubevirt.io/webhook"},
			stored: unchanged(namespaceGVK, "", labelledNS),
		},
		{
			what: "change it, server-side apply, taking the field (--force-conflicts)", as: tenant,
			args: []string{"apply", "--server-side", "--force-conflicts", "-f", "tenant-a-labelled-optout.yaml"},
			exit: 1, says: []string{"(Forbidden)", guardDenial}, stored: unchanged(namespaceGVK, "", labelledNS),
		},
		{
			what: "remove it from an exempted namespace", as: tenant,
			args: []string{"label", "namespace", exemptNS, optOutLabel + "-"},
			exit: 1, says: []string{"(Forbidden)", guardDenial}, stored: unchanged(namespaceGVK, "", exemptNS),
		},
		{
			what: "create a namespace with the label (tenant)", as: tenant,
			args: []string{"create", "-f", "ns-optout.yaml"},
			exit: 1, says: []string{`User "alice" cannot create resource "namespaces"`}, stored: absent(namespaceGVK, "", "tenant-b"),
		},
		{
			what: "create a namespace with the label (self-service portal)", as: portal,
			args: []string{"create", "-f", "ns-optout.yaml"},
			exit: 1, says: []string{"(Forbidden)", guardDenial}, stored: absent(namespaceGVK, "", "tenant-b"),
		},
		{
			what: "create a namespace without it (self-service portal)", as: portal,
			args: []string{"create", "-f", "ns-plain.yaml"},
			exit: 0, says: []string{"namespace/tenant-c created"}, stored: labelled("tenant-c", ""),
		},
	}
}

// Around the label: the other keys of the webhooks' namespaceSelector, someone else's
// identity, the admission configuration itself, the namespaces the webhooks skip.
func boundaryAttempts() []attempt {
	return []attempt{
		{
			what: "pose as kube-system (kubernetes.io/metadata.name)", as: tenant,
			args: []string{"label", "namespace", tenantNS, "kubernetes.io/metadata.name=kube-system", "--overwrite"},
			// The API server sets this label to the namespace's name on every write.
			exit: 0, says: []string{"namespace/" + tenantNS + " labeled"}, stored: unchanged(namespaceGVK, "", tenantNS),
		},
		{
			what: "impersonate a cluster operator", as: tenant,
			args: []string{"label", "namespace", tenantNS, optOutLabel + "=disabled", "--as=alice", "--as-group=system:masters"},
			exit: 1, says: []string{`User "alice" cannot impersonate resource "users"`}, stored: unchanged(namespaceGVK, "", tenantNS),
		},
		{
			what: "delete the guard's binding", as: tenant,
			args: []string{"delete", "validatingadmissionpolicybinding", "linkstate-webhook-optout"},
			exit: 1, says: []string{`cannot delete resource "validatingadmissionpolicybindings"`},
			stored: unchanged(vapBindingGVK, "", "linkstate-webhook-optout"),
		},
		{
			what: "delete the validating webhooks", as: tenant,
			args: []string{"delete", "validatingwebhookconfiguration", "linkstate-webhook-validating"},
			exit: 1, says: []string{`cannot delete resource "validatingwebhookconfigurations"`},
			stored: unchanged(validatingWebhooksGVK, "", "linkstate-webhook-validating"),
		},
		{
			what: "create the VM in the service's namespace, which the webhooks skip", as: tenant,
			args: []string{"create", "-n", "linkstate-webhook-system", "-f", "vm-sneaky.yaml"},
			exit: 1, says: []string{`cannot create resource "virtualmachines" in API group "kubevirt.io" in the namespace "linkstate-webhook-system"`},
			stored: absent(vmGVK, "linkstate-webhook-system", "sneaky"),
		},
	}
}

// The rules themselves: an SR-IOV interface's link set down (rule B1), every way kubectl
// writes a VM or VMI.
func vmAttempts() []attempt {
	jsonPatch := `[{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/2/state","value":"linkDown"}]`
	webUnchanged := unchanged(vmGVK, tenantNS, "web")
	return []attempt{
		{what: "create the VM", as: tenant, args: []string{"create", "-n", tenantNS, "-f", "vm-sneaky.yaml"},
			exit: 1, says: []string{sriovDenial}, stored: absent(vmGVK, tenantNS, "sneaky")},
		{what: "create it, older API version (kubevirt.io/v1alpha3)", as: tenant, args: []string{"create", "-n", tenantNS, "-f", "vm-sneaky-v1alpha3.yaml"},
			exit: 1, says: []string{sriovDenial}, stored: absent(vmGVK, tenantNS, "sneaky-old")},
		{what: "create it, server-side apply", as: tenant, args: []string{"apply", "--server-side", "-n", tenantNS, "-f", "vm-sneaky.yaml"},
			exit: 1, says: []string{sriovDenial}, stored: absent(vmGVK, tenantNS, "sneaky")},
		{what: "update it, replace", as: tenant, args: []string{"replace", "-f", "web-edited.yaml"}, prepare: writeEditedWeb,
			exit: 1, says: []string{sriovDenial}, stored: webUnchanged},
		{what: "update it, JSON patch", as: tenant, args: []string{"patch", "vm", "web", "-n", tenantNS, "--type=json", "-p", jsonPatch},
			exit: 1, says: []string{sriovDenial}, stored: webUnchanged},
		{what: "update it, JSON patch, server-side dry run", as: tenant, args: []string{"patch", "vm", "web", "-n", tenantNS, "--type=json", "-p", jsonPatch, "--dry-run=server"},
			exit: 1, says: []string{sriovDenial}, stored: webUnchanged},
		{what: "update it, merge patch", as: tenant, args: []string{"patch", "vm", "web", "-n", tenantNS, "--type=merge", "--patch-file=web-merge-patch.json"},
			exit: 1, says: []string{sriovDenial}, stored: webUnchanged},
		{what: "update it, strategic merge patch", as: tenant, args: []string{"patch", "vm", "web", "-n", tenantNS, "--type=strategic", "--patch-file=web-merge-patch.json"},
			// The API server takes no strategic merge patch for custom resources.
			exit: 1, says: []string{"application/strategic-merge-patch+json is not supported by kubevirt.io/v1, Kind=VirtualMachine"}, stored: webUnchanged},
		{what: "update it, server-side apply: the operator's field", as: tenant, args: []string{"apply", "--server-side", "-n", tenantNS, "-f", "web-apply.yaml"},
			exit: 1, says: []string{"Apply failed with 1 conflict", `conflict with "operator"`}, stored: webUnchanged},
		{what: "update it, server-side apply, taking the field (--force-conflicts)", as: tenant,
			args: []string{"apply", "--server-side", "--force-conflicts", "-n", tenantNS, "-f", "web-apply.yaml"},
			exit: 1, says: []string{sriovDenial}, stored: webUnchanged},
		{what: "write the VMI directly: create", as: tenant, args: []string{"create", "-n", tenantNS, "-f", "vmi-sneaky.yaml"},
			exit: 1, says: []string{sriovDenial}, stored: absent(vmiGVK, tenantNS, "sneaky")},
		{what: "write the VMI directly: JSON patch", as: tenant,
			args: []string{"patch", "vmi", "web", "-n", tenantNS, "--type=json", "-p", `[{"op":"add","path":"/spec/domain/devices/interfaces/2/state","value":"linkDown"}]`},
			exit: 1, says: []string{sriovDenial}, stored: unchanged(vmiGVK, tenantNS, "web")},
	}
}

// LinkStatePolicies (config: fixtures/policies.yaml): tenant-a-strict refuses hot-unplug
// in the tenant's namespace, selected by its name (a label the API server sets and nobody
// can change); lab-relaxed, for VMs labelled tier=lab, only warns. A tenant relabels a VM
// into the relaxed policy's scope to unplug an interface anyway.
func policyAttempts() []attempt {
	unplugBlue := `{"op":"replace","path":"/spec/template/spec/domain/devices/interfaces/1/state","value":"absent"}`
	strictDenial := []string{`LinkStatePolicy "tenant-a-strict"`, `state "absent" (hot-unplug) is not among the states this policy allows`}
	return []attempt{
		{what: "relabel a VM into a weaker LinkStatePolicy's scope, in the same write as the unplug", as: tenant,
			args:    []string{"patch", "vm", "web", "-n", tenantNS, "--type=json", "-p", `[{"op":"add","path":"/metadata/labels","value":{"tier":"lab"}},` + unplugBlue + `]`},
			prepare: waitForPolicies,
			exit:    1, says: strictDenial, stored: unchanged(vmGVK, tenantNS, "web")},
		{what: "relabel it into the weaker policy's scope first", as: tenant,
			args: []string{"label", "vm", "web", "-n", tenantNS, "tier=lab"},
			exit: 0, says: []string{"virtualmachine.kubevirt.io/web labeled"}, stored: vmLabelled(tenantNS, "web", "tier", "lab")},
		{what: "then unplug: the stricter policy still applies (the strictest wins)", as: tenant,
			args: []string{"patch", "vm", "web", "-n", tenantNS, "--type=json", "-p", "[" + unplugBlue + "]"},
			exit: 1, says: strictDenial, stored: unchanged(vmGVK, tenantNS, "web")},
	}
}

// waitForPolicies waits until the webhook judges with the fixtures' policies: it watches
// them, and takes in a new one within moments.
func waitForPolicies(t *testing.T) {
	t.Helper()
	testwait.Until(t, "the webhook applies tenant-a-strict", 30*time.Second, func() error {
		r := kubectl(t, operator, "patch", "vm", "web", "-n", tenantNS, "--type=json", "--dry-run=server", "-p",
			`[{"op":"replace","path":"/spec/template/spec/domain/devices/interfaces/1/state","value":"absent"}]`)
		if r.code == 0 || !strings.Contains(r.out, `LinkStatePolicy "tenant-a-strict"`) {
			return fmt.Errorf("exit %d: %s", r.code, r.out)
		}
		return nil
	})
}

// writeEditedWeb is `kubectl get vm web -o yaml`, with the SR-IOV interface's link set
// down, as a tenant would edit it for `kubectl replace`.
func writeEditedWeb(t *testing.T) {
	t.Helper()
	u := mustRead(t, vmGVK, tenantNS, "web")
	u.SetManagedFields(nil)
	path := []string{"spec", "template", "spec", "domain", "devices", "interfaces"}
	list, _, err := unstructured.NestedSlice(u.Object, path...)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range list {
		if m, _ := i.(map[string]any); m["name"] == "fast" {
			m["state"] = "linkDown"
		}
	}
	if err := unstructured.SetNestedSlice(u.Object, list, path...); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifestPath("web-edited.yaml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Migrations claiming stamps the webhook did not write (rules M1, M2).
func migrationAttempts() []attempt {
	return []attempt{
		{
			what: "create a migration with a forged, signed-looking stamp", as: tenant,
			args: []string{"create", "-n", tenantNS, "-f", "mig-forged.yaml"},
			exit: 0, says: []string{"virtualmachineinstancemigration.kubevirt.io/mig-forged created"},
			stored: stampedLike(tenantNS, "mig-forged", "mig-web"),
		},
		{
			what: "create a migration with a forged stamp for a VMI that does not exist", as: tenant,
			args: []string{"create", "-n", tenantNS, "-f", "mig-forged-no-vmi.yaml"},
			exit: 1, says: []string{`VMI "ghost" does not exist, so there is nothing to stamp; remove the annotation`},
			stored: absent(vmimGVK, tenantNS, "mig-ghost"),
		},
		{
			what: "edit a migration's stamp, merge patch", as: tenant,
			args: []string{"patch", "vmim", "mig-web", "-n", tenantNS, "--type=merge", "-p",
				`{"metadata":{"annotations":{"linkstate.kubevirt.io/interfaces":"{\"blue\":\"linkUp\",\"default\":\"linkUp\",\"fast\":\"linkUp\"}"}}}`},
			exit: 1, says: []string{stampImmutable}, stored: unchanged(vmimGVK, tenantNS, "mig-web"),
		},
		{
			what: "remove a migration's signature, JSON patch", as: tenant,
			args: []string{"patch", "vmim", "mig-web", "-n", tenantNS, "--type=json", "-p",
				`[{"op":"remove","path":"/metadata/annotations/linkstate.kubevirt.io~1signature"}]`},
			exit: 1, says: []string{stampImmutable}, stored: unchanged(vmimGVK, tenantNS, "mig-web"),
		},
	}
}

// The operator still exempts a namespace, and takes the exemption back; the release's
// service account may too.
func operatorAttempts() []attempt {
	return []attempt{
		{what: "exempt the namespace", as: operator, args: []string{"label", "namespace", opsNS, optOutLabel + "=disabled"},
			exit: 0, says: []string{"namespace/" + opsNS + " labeled"}, stored: labelled(opsNS, "disabled")},
		{what: "create the VM in the exempted namespace", as: tenant, args: []string{"create", "-n", opsNS, "-f", "vm-sneaky.yaml"},
			prepare: func(t *testing.T) { waitWebhooksSkip(t, opsNS, true) },
			exit:    0, says: []string{"virtualmachine.kubevirt.io/sneaky created"}, stored: vmStored(opsNS, "sneaky", "linkDown")},
		{what: "take the exemption back", as: operator, args: []string{"label", "namespace", opsNS, optOutLabel + "-"},
			exit: 0, says: []string{"namespace/" + opsNS + " unlabeled"}, stored: labelled(opsNS, "")},
		{what: "create the VM once the exemption is gone", as: tenant, args: []string{"create", "-n", opsNS, "-f", "vm-sneaky-2.yaml"},
			prepare: func(t *testing.T) { waitWebhooksSkip(t, opsNS, false) },
			exit:    1, says: []string{sriovDenial}, stored: absent(vmGVK, opsNS, "sneaky-2")},
		{what: "exempt the namespace", as: releaseSA, args: []string{"label", "namespace", opsNS, optOutLabel + "=disabled"},
			exit: 0, says: []string{"namespace/" + opsNS + " labeled"}, stored: labelled(opsNS, "disabled")},
		{what: "take the exemption back", as: releaseSA, args: []string{"label", "namespace", opsNS, optOutLabel + "-"},
			exit: 0, says: []string{"namespace/" + opsNS + " unlabeled"}, stored: labelled(opsNS, "")},
	}
}

// With the webhook's pods down: namespaces are still written, the guard still holds (the
// API server enforces it), the operator's exemption still works, and nothing reaches a VM
// unjudged (failurePolicy Fail).
func webhookDownAttempts() []attempt {
	return []attempt{
		{what: "add the label, webhook down", as: tenant, webhookDown: true,
			args: []string{"label", "namespace", tenantNS, optOutLabel + "=disabled"},
			exit: 1, says: []string{"(Forbidden)", guardDenial}, stored: unchanged(namespaceGVK, "", tenantNS)},
		{what: "create a namespace, webhook down", as: portal, webhookDown: true,
			args: []string{"create", "-f", "ns-plain-2.yaml"},
			exit: 0, says: []string{"namespace/tenant-d created"}, stored: labelled("tenant-d", "")},
		{what: "create a legal VM, webhook down", as: tenant, webhookDown: true,
			args: []string{"create", "-n", tenantNS, "-f", "vm-legal.yaml"},
			exit: 1, says: []string{`failed calling webhook "mvirtualmachine.linkstate.kubevirt.io"`}, stored: absent(vmGVK, tenantNS, "legal")},
		{what: "exempt the namespace, webhook down", as: operator, webhookDown: true,
			args: []string{"label", "namespace", opsNS, optOutLabel + "=disabled"},
			exit: 0, says: []string{"namespace/" + opsNS + " labeled"}, stored: labelled(opsNS, "disabled")},
		{what: "create the VM in the exempted namespace, webhook down", as: tenant, webhookDown: true,
			args:    []string{"create", "-n", opsNS, "-f", "vm-sneaky-3.yaml"},
			prepare: func(t *testing.T) { waitWebhooksSkip(t, opsNS, true) },
			exit:    0, says: []string{"virtualmachine.kubevirt.io/sneaky-3 created"}, stored: vmStored(opsNS, "sneaky-3", "linkDown")},
	}
}
