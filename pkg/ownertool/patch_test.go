package ownertool

import (
	"encoding/json"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/go-cmp/cmp"
	gomodjsonpatch "gomodules.xyz/jsonpatch/v2"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func TestBuildPatch(t *testing.T) {
	vm := vmObject("web", true, []v1.Interface{Masquerade("default", "linkUp"), Bridge("blue", ""), Bridge("red", "linkDown")})
	ops, changes, err := BuildPatch(vm, []Assignment{{"red", linkstate.MeaningUp}, {"blue", linkstate.MeaningDown}}, linkstate.Seed)
	if err != nil {
		t.Fatal(err)
	}
	const p = "/spec/template/spec/domain/devices/interfaces/"
	want := []gomodjsonpatch.Operation{
		{Operation: "test", Path: p + "2/name", Value: "red"},
		{Operation: "test", Path: p + "1/name", Value: "blue"},
		{Operation: "replace", Path: p + "2/state", Value: "linkUp"},
		{Operation: "add", Path: p + "1/state", Value: "linkDown"},
	}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	wantChanges := []Change{{"red", 2, "linkDown", "linkUp"}, {"blue", 1, "", "linkDown"}}
	if diff := cmp.Diff(wantChanges, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if got, want := DescribeChanges(changes), "red linkDown -> linkUp, blue (empty) -> linkDown"; got != want {
		t.Errorf("DescribeChanges = %q, want %q", got, want)
	}

	vmi := vmiObject("web", []v1.Interface{Bridge("blue", "up")}, nil)
	ops, _, err = BuildPatch(vmi, []Assignment{{"blue", linkstate.MeaningAbsent}}, linkstate.Upstream)
	if err != nil {
		t.Fatal(err)
	}
	wantVMI := []gomodjsonpatch.Operation{
		{Operation: "test", Path: "/spec/domain/devices/interfaces/0/name", Value: "blue"},
		{Operation: "replace", Path: "/spec/domain/devices/interfaces/0/state", Value: "absent"},
	}
	if diff := cmp.Diff(wantVMI, ops); diff != "" {
		t.Errorf("VMI ops (-want +got):\n%s", diff)
	}
}

func TestBuildPatchErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ifaces []v1.Interface
		err    string
	}{
		{"unknown interface", []v1.Interface{Bridge("blue", ""), Bridge("red", "")}, `vm/web has no interface "green" (it has: blue, red)`},
		{"no interfaces", nil, `vm/web has no interface "green" (it has: none)`},
		{"duplicate names", []v1.Interface{Bridge("green", ""), Bridge("green", "")}, `vm/web has two interfaces named "green"`},
	} {
		_, _, err := BuildPatch(vmObject("web", false, tc.ifaces), []Assignment{{"green", linkstate.MeaningDown}}, linkstate.Seed)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

// The patch is applied by the JSON patch library the API server's own ecosystem uses: on
// the object it was built from it sets the states; on one whose list was reordered since,
// the test ops fail and nothing is applied.
func TestPatchAppliesOnlyToTheListItWasBuiltFor(t *testing.T) {
	doc := func(names ...string) []byte {
		var ifaces []map[string]any
		for _, n := range names {
			ifaces = append(ifaces, map[string]any{"name": n, "bridge": map[string]any{}})
		}
		raw, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"domain": map[string]any{"devices": map[string]any{"interfaces": ifaces}}}}}})
		return raw
	}
	vm := vmObject("web", true, []v1.Interface{Bridge("a", ""), Bridge("b", ""), Bridge("c", "")})
	ops, _, err := BuildPatch(vm, []Assignment{{"b", linkstate.MeaningDown}}, linkstate.Upstream)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(ops)
	patch, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		t.Fatal(err)
	}

	out, err := patch.Apply(doc("a", "b", "c"))
	if err != nil {
		t.Fatalf("on the list it was built for: %v", err)
	}
	obj, err := VM.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range obj.Spec.Domain.Devices.Interfaces {
		got = append(got, i.Name+"="+string(i.State))
	}
	if diff := cmp.Diff([]string{"a=", "b=down", "c="}, got); diff != "" {
		t.Errorf("patched (-want +got):\n%s", diff)
	}

	for _, reordered := range [][]string{{"b", "a", "c"}, {"a", "c", "b"}, {"a"}} {
		if _, err := patch.Apply(doc(reordered...)); err == nil {
			t.Errorf("patch applied to the reordered list %v", reordered)
		}
	}
}

func TestStored(t *testing.T) {
	changes := []Change{{"blue", 1, "", "down"}, {"red", 2, "linkUp", "down"}}
	// The mutating webhook stored the seed spelling; red moved, so its entry is kept.
	after := vmObject("web", true, []v1.Interface{Bridge("x", ""), Bridge("blue", "linkDown"), Bridge("y", "")})
	want := []Change{{"blue", 1, "", "linkDown"}, {"red", 2, "linkUp", "down"}}
	if diff := cmp.Diff(want, Stored(after, changes)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2}, Indexes(changes)); diff != "" {
		t.Errorf("Indexes (-want +got):\n%s", diff)
	}
}
