package main

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"
)

// What each file in examples/ must do, in the order the demo plays them.
//
// The expectations live here, in one Go table, rather than in an annotation on each example
// object:
//   - the examples stay plain manifests a user can copy: a demo-only annotation would be
//     stored on their VMs and carried into every manifest derived from them;
//   - a story (the hot-plug one) is several requests against one object, and each request
//     has its own expected outcome; an annotation on the object describes only its creation;
//   - the table is type-checked, and the tests hold it and examples/ together: every file has
//     exactly one scenario, and `webhook check` (create semantics) agrees with every
//     scenario's first step.
//
// The prose in each file's leading comment says the same for humans; the demo prints it
// next to the outcome, so a drift between the two shows.
var scenarios = []scenario{
	{file: "vm-linkdown.yaml", steps: []step{{
		want: outcome{
			states:   map[string]string{"default": "linkDown"},
			warnings: []string{vmState(0) + ": " + warnDefaultNetDown},
		},
	}}},
	{file: "vmi-linkdown.yaml", steps: []step{{
		want: outcome{
			states:     map[string]string{"default": "linkDown"},
			linkStates: map[string]string{"default": "down"},
			warnings:   []string{vmiState(0) + ": " + warnDefaultNetDown},
		},
	}}},
	{file: "vm-bridge-secondary.yaml", steps: []step{{
		want: outcome{states: map[string]string{"default": "linkUp", "secondary": "linkUp"}},
	}}},
	{file: "vm-sriov-linkdown.yaml", steps: []step{{
		want: outcome{denied: map[string]string{
			vmState(1): `Invalid value: "linkDown": link state cannot be set on an SR-IOV interface`,
		}},
	}}},
	{file: "vm-unknown-value.yaml", steps: []step{{
		want: outcome{denied: map[string]string{
			vmState(1): `Unsupported value: "sideways": supported values: "linkUp", "linkDown", "absent"`,
		}},
	}}},
	{file: "vm-absent-pod-network.yaml", steps: []step{{
		want: outcome{denied: map[string]string{
			vmState(0): "the interface on the default network (the pod network, or a Multus network with default: true) cannot be hot-unplugged",
		}},
	}}},
	{file: "vm-absent-e1000.yaml", steps: []step{{
		want: outcome{denied: map[string]string{
			vmIface(1) + ".model": `Invalid value: "e1000": hot-unplug (state absent) requires the virtio model`,
		}},
	}}},
	{file: "vm-upstream-alias.yaml", steps: []step{{
		want: outcome{
			states:   map[string]string{"default": "linkUp", "secondary": "linkDown"},
			warnings: []string{vmState(1) + `: "down" is the upstream dialect's spelling; stored as "linkDown"`},
		},
	}}},
	{file: "vm-plugin-linkdown.yaml", steps: []step{{
		want: outcome{
			// The empty state on the plugin-less masquerade interface is defaulted; the
			// plugin's explicit linkDown is kept and warned about.
			states:   map[string]string{"default": "linkUp", "tap": "linkDown"},
			warnings: []string{vmState(1) + `: binding plugin "vendor-tap" is not known to support link state: the link may stay up`},
		},
	}}},
	{file: "vm-hotplug.yaml", steps: []step{
		{
			title: "create the VM",
			want:  outcome{states: map[string]string{"default": "linkUp"}},
		},
		{
			title: "mark it running, as virt-controller does once its VMI exists",
			do: patch{subresource: "status", typ: types.MergePatchType,
				body: `{"status":{"created":true,"ready":true,"printableStatus":"Running"}}`},
			want: outcome{states: map[string]string{"default": "linkUp"}},
		},
		{
			title: "hot-plug a bridge interface on a secondary network, link down",
			do: patch{typ: types.JSONPatchType, body: `[` +
				`{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/-","value":{"name":"hotplugged","bridge":{},"state":"linkDown"}},` +
				`{"op":"add","path":"/spec/template/spec/networks/-","value":{"name":"hotplugged","multus":{"networkName":"secondary-net"}}}]`},
			want: outcome{states: map[string]string{"default": "linkUp", "hotplugged": "linkDown"}},
		},
		{
			title: "bring its link up",
			do: patch{typ: types.JSONPatchType,
				body: `[{"op":"replace","path":"/spec/template/spec/domain/devices/interfaces/1/state","value":"linkUp"}]`},
			want: outcome{states: map[string]string{"default": "linkUp", "hotplugged": "linkUp"}},
		},
		{
			title: "hot-unplug it",
			do: patch{typ: types.JSONPatchType,
				body: `[{"op":"replace","path":"/spec/template/spec/domain/devices/interfaces/1/state","value":"absent"}]`},
			want: outcome{states: map[string]string{"default": "linkUp", "hotplugged": "absent"}},
		},
		{
			title: "try to plug it back in by setting it to linkUp",
			do: patch{typ: types.JSONPatchType,
				body: `[{"op":"replace","path":"/spec/template/spec/domain/devices/interfaces/1/state","value":"linkUp"}]`},
			want: outcome{
				denied: map[string]string{
					vmState(1): `Forbidden: interface "hotplugged" was hot-unplugged (state absent) from the running VM and cannot be plugged back in`,
				},
				// Denied: what is stored is still the unplugged interface.
				states: map[string]string{"default": "linkUp", "hotplugged": "absent"},
			},
		},
	}},
}

// warnDefaultNetDown is the start of rule P1's warning.
const warnDefaultNetDown = "the link of the interface on the default network will be down"

// scenario is one file of examples/ and the requests the demo makes with it.
type scenario struct {
	file string // name under examples/
	// steps run in order; the first creates the file's object (its do is empty), the
	// others change that object.
	steps []step
}

// step is one request and its expected outcome.
type step struct {
	title string // said only when a scenario has several steps
	do    patch  // empty for the creating step
	want  outcome
}

// patch changes the scenario's object, as `kubectl patch` would.
type patch struct {
	subresource string // "" for the object itself, or "status"
	typ         types.PatchType
	body        string
}

// outcome is what a step must lead to.
type outcome struct {
	// denied maps each field the denial must name to a fragment of its cause's message;
	// nil means the request must be allowed. A denial must have exactly these causes.
	denied map[string]string
	// warnings are fragments, each matching a different warning; no other warning may come.
	warnings []string
	// states are the stored interfaces' states, by interface name, read back from the API
	// server afterwards (unchecked when nil; a denied create must store nothing).
	states map[string]string
	// linkStates are a VMI's status.interfaces[].linkState, by interface name.
	linkStates map[string]string
}

// vmIface is the path of a VM's i-th interface, as the webhook reports it.
func vmIface(i int) string {
	return fmt.Sprintf("spec.template.spec.domain.devices.interfaces[%d]", i)
}

func vmState(i int) string { return vmIface(i) + ".state" }

func vmiState(i int) string {
	return fmt.Sprintf("spec.domain.devices.interfaces[%d].state", i)
}
