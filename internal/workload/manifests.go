package workload

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/yaml"
)

// Manifest is the i-th of a set of manifests as teams keep them in Git for GitOps: what
// `webhook check` reads in a pipeline. Two in three are VirtualMachines, one in three a
// VirtualMachineInstance; each has 1 + i%8 interfaces (the first masquerade on the pod
// network, the others bridge on Multus networks) and the disks, volumes, cloud-init and
// scheduling of VM above, but none of what only the API server writes (status, managed
// fields, kubectl's last-applied copy).
//
// States cycle through empty, linkUp, empty, linkDown, the upstream alias down and absent,
// and some manifests break a rule the way people do (see brokenRule), so a set of them has
// allowed and denied verdicts, patches and warnings in realistic proportions: about one in
// six is denied.
func Manifest(i int) map[string]any {
	name := fmt.Sprintf("app-%05d", i)
	namespace := fmt.Sprintf("team-%02d", i%23)
	vm := ForCreate(VM(name, namespace, 1+i%8, false))
	meta := vm["metadata"].(map[string]any)
	meta["annotations"] = map[string]any{"description": "managed in git; owner team-" + fmt.Sprint(i%23)}
	spec := vm["spec"].(map[string]any)
	template := spec["template"].(map[string]any)
	templateSpec := template["spec"].(map[string]any)

	devices := templateSpec["domain"].(map[string]any)["devices"].(map[string]any)
	ifaces := devices["interfaces"].([]any)
	for j := 1; j < len(ifaces); j++ {
		iface := ifaces[j].(map[string]any)
		delete(iface, "state")
		if state := manifestStates[(i+j)%len(manifestStates)]; state != "" {
			iface["state"] = state
		}
	}
	brokenRule(i, ifaces, templateSpec["networks"].([]any))

	if i%3 != 2 {
		return vm
	}
	// A VMI: the template's spec, standing alone.
	return map[string]any{
		"apiVersion": "kubevirt.io/v1",
		"kind":       "VirtualMachineInstance",
		"metadata": map[string]any{
			"name": name, "namespace": namespace, "labels": template["metadata"].(map[string]any)["labels"],
			"annotations": meta["annotations"],
		},
		"spec": templateSpec,
	}
}

// manifestStates are the states of secondary interfaces, in turn.
var manifestStates = []string{"", "linkUp", "", "linkDown", "down", "absent"}

// brokenRule breaks one rule in some manifests, each the way a user would: an SR-IOV
// interface asked to go down (B1), a misspelt state (V1), the pod network's interface
// unplugged (A1 binding and A2), an unplugged e1000 (A1 model).
func brokenRule(i int, ifaces, networks []any) {
	last := ifaces[len(ifaces)-1].(map[string]any)
	switch {
	case i%11 == 3 && len(ifaces) > 1:
		delete(last, "bridge")
		last["sriov"] = map[string]any{}
		last["state"] = "linkDown"
		networks[len(networks)-1].(map[string]any)["multus"] = map[string]any{"networkName": "sriov-vf"}
	case i%13 == 5:
		last["state"] = "off"
	case i%17 == 7:
		ifaces[0].(map[string]any)["state"] = "absent"
	case i%19 == 9 && len(ifaces) > 1:
		last["model"] = "e1000"
		last["state"] = "absent"
	}
}

// ManifestsYAML is n manifests as one multi-document YAML stream, each document opened by
// "---" and a comment naming it, as a directory of manifests concatenated for a pipeline.
func ManifestsYAML(n int) []byte {
	var buf bytes.Buffer
	for i := range n {
		doc, err := yaml.Marshal(Manifest(i))
		if err != nil {
			panic(err) // only maps, strings and numbers: cannot fail
		}
		fmt.Fprintf(&buf, "---\n# manifest %d\n", i)
		buf.Write(doc)
	}
	return buf.Bytes()
}
