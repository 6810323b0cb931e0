package adversarial

import (
	"fmt"
	"strings"
)

// manifests are the files kubectl sends, by their name in workDir (and in the README
// table). Fixtures are the operator's; the rest are the attempts'.
var manifests = map[string]string{
	"fixtures/namespaces.yaml": `
apiVersion: v1
kind: Namespace
metadata:
  name: ` + labelledNS + `
  labels:
    ` + optOutLabel + `: enabled
---
apiVersion: v1
kind: Namespace
metadata:
  name: ` + exemptNS + `
  labels:
    ` + optOutLabel + `: disabled
`,
	"fixtures/web.yaml":     vmManifest("kubevirt.io/v1", "web", ""),
	"fixtures/web-vmi.yaml": vmiManifest("web", ""),
	"fixtures/mig-web.yaml": migrationManifest("mig-web", "web", nil),
	// The operator's LinkStatePolicies for the tenant's namespace.
	"fixtures/policies.yaml": `
apiVersion: linkstate.kubevirt.io/v1alpha1
kind: LinkStatePolicy
metadata:
  name: tenant-a-strict
spec:
  namespaceSelector:
    matchLabels: {kubernetes.io/metadata.name: ` + tenantNS + `}
  allowedStates: [up, down]
  message: "hot-unplug needs a change ticket"
---
apiVersion: linkstate.kubevirt.io/v1alpha1
kind: LinkStatePolicy
metadata:
  name: lab-relaxed
spec:
  mode: Warn
  namespaceSelector:
    matchLabels: {kubernetes.io/metadata.name: ` + tenantNS + `}
  objectSelector:
    matchLabels: {tier: lab}
  protectedNetworks: [pod]
`,

	// A new namespace, already opted out; and two plain ones.
	"ns-optout.yaml":  namespaceManifest("tenant-b", optOutLabel+": disabled"),
	"ns-plain.yaml":   namespaceManifest("tenant-c"),
	"ns-plain-2.yaml": namespaceManifest("tenant-d"),
	// The tenant's own namespaces, with the label they want.
	"tenant-a-optout.yaml":          namespaceManifest(tenantNS, optOutLabel+": disabled"),
	"tenant-a-labelled-optout.yaml": namespaceManifest(labelledNS, optOutLabel+": disabled"),
	// The body of a PUT to the finalize subresource: the namespace as it is, plus the label.
	"tenant-a-finalize.json": `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"` + tenantNS +
		`","labels":{"kubernetes.io/metadata.name":"` + tenantNS + `","` + optOutLabel + `":"disabled"}},"spec":{"finalizers":["kubernetes"]}}`,

	// VMs and VMIs whose SR-IOV interface asks for its link down (rule B1).
	"vm-sneaky.yaml":          vmManifest("kubevirt.io/v1", "sneaky", "linkDown"),
	"vm-sneaky-2.yaml":        vmManifest("kubevirt.io/v1", "sneaky-2", "linkDown"),
	"vm-sneaky-3.yaml":        vmManifest("kubevirt.io/v1", "sneaky-3", "linkDown"),
	"vm-sneaky-v1alpha3.yaml": vmManifest("kubevirt.io/v1alpha3", "sneaky-old", "linkDown"),
	"vm-legal.yaml":           vmManifest("kubevirt.io/v1", "legal", ""),
	"web-apply.yaml":          vmManifest("kubevirt.io/v1", "web", "linkDown"),
	"web-merge-patch.json":    `{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":` + interfacesJSON("linkDown") + `}}}}}}`,
	"vmi-sneaky.yaml":         vmiManifest("sneaky", "linkDown"),

	// Migrations of VMI web that claim a stamp: link blue up, where the VMI has it down.
	"mig-forged.yaml":        migrationManifest("mig-forged", "web", forgedStamp),
	"mig-forged-no-vmi.yaml": migrationManifest("mig-ghost", "ghost", forgedStamp),
}

// forgedStamp is a stamp the tenant writes: blue up (the VMI has it down), signed with a
// made-up signature.
var forgedStamp = map[string]string{
	"linkstate.kubevirt.io/interfaces": `{"blue":"linkUp","default":"linkUp","fast":"linkUp"}`,
	"linkstate.kubevirt.io/observed":   `{}`,
	"linkstate.kubevirt.io/signature":  "v1.00000000.Zm9yZ2VkIGJ5IHRoZSB0ZW5hbnQ",
}

func namespaceManifest(name string, labels ...string) string {
	m := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n"
	if len(labels) > 0 {
		m += "  labels:\n    " + strings.Join(labels, "\n    ") + "\n"
	}
	return m
}

// The interfaces of every VM and VMI here: the pod network (masquerade), a bridge whose
// link is down, and an SR-IOV interface, whose state is fastState.
func interfacesJSON(fastState string) string {
	fast := `{"name":"fast","sriov":{}}`
	if fastState != "" {
		fast = fmt.Sprintf(`{"name":"fast","sriov":{},"state":%q}`, fastState)
	}
	return `[{"name":"default","masquerade":{}},{"name":"blue","bridge":{},"state":"linkDown"},` + fast + `]`
}

// vmiSpec is the VMI spec (or VM template spec) as YAML flow mappings, at indent.
func vmiSpec(indent, fastState string) string {
	return indent + "domain:\n" +
		indent + "  devices:\n" +
		indent + "    interfaces: " + interfacesJSON(fastState) + "\n" +
		indent + "  resources: {requests: {memory: 64Mi}}\n" +
		indent + "networks:\n" +
		indent + "- {name: default, pod: {}}\n" +
		indent + "- {name: blue, multus: {networkName: blue-nad}}\n" +
		indent + "- {name: fast, multus: {networkName: fast-nad}}\n"
}

func vmManifest(apiVersion, name, fastState string) string {
	return "apiVersion: " + apiVersion + "\nkind: VirtualMachine\nmetadata:\n  name: " + name +
		"\nspec:\n  runStrategy: Halted\n  template:\n    spec:\n" + vmiSpec("      ", fastState)
}

func vmiManifest(name, fastState string) string {
	return "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: " + name +
		"\nspec:\n" + vmiSpec("  ", fastState)
}

func migrationManifest(name, vmi string, annotations map[string]string) string {
	m := "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\nmetadata:\n  name: " + name + "\n"
	if len(annotations) > 0 {
		m += "  annotations:\n"
		for _, k := range []string{"linkstate.kubevirt.io/interfaces", "linkstate.kubevirt.io/observed", "linkstate.kubevirt.io/signature"} {
			if v, ok := annotations[k]; ok {
				m += fmt.Sprintf("    %s: '%s'\n", k, v)
			}
		}
	}
	return m + "spec:\n  vmiName: " + vmi + "\n"
}
