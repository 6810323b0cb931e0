package ownertool

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // Short, or "" for an error
	}{
		{"vm", "vm"}, {"vms", "vm"}, {"VirtualMachine", "vm"}, {"virtualmachines", "vm"},
		{"virtualmachines.kubevirt.io", "vm"}, {"vm.v1.kubevirt.io", "vm"},
		{"vmi", "vmi"}, {"VMIS", "vmi"}, {"virtualmachineinstance", "vmi"}, {"virtualmachineinstances.kubevirt.io", "vmi"},
		{"pod", ""}, {"vm.example.com", ""}, {"", ""}, {"vmim", ""},
	} {
		got, err := ParseTarget(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseTarget(%q) = %s, want an error", tc.in, got.Short)
			}
			continue
		}
		if err != nil || got.Short != tc.want {
			t.Errorf("ParseTarget(%q) = %q, %v; want %q", tc.in, got.Short, err, tc.want)
		}
	}
}

func TestParseObjectArgs(t *testing.T) {
	type result struct {
		Short, Name string
		Rest        []string
		Err         bool
	}
	for _, tc := range []struct {
		args     []string
		optional bool
		want     result
	}{
		{[]string{"vm", "web", "eth1=down"}, false, result{"vm", "web", []string{"eth1=down"}, false}},
		{[]string{"vm/web", "eth1=down"}, false, result{"vm", "web", []string{"eth1=down"}, false}},
		{[]string{"vmi"}, true, result{"vmi", "", []string{}, false}},
		{[]string{"vmi"}, false, result{Err: true}},
		{[]string{"vm/"}, false, result{Err: true}},
		{[]string{}, true, result{Err: true}},
		{[]string{"pods", "x"}, true, result{Err: true}},
	} {
		target, name, rest, err := ParseObjectArgs(tc.args, tc.optional)
		got := result{Err: err != nil}
		if err == nil {
			got = result{target.Short, name, rest, false}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseObjectArgs(%q, %v) (-want +got):\n%s", tc.args, tc.optional, diff)
		}
	}
}

func TestRefs(t *testing.T) {
	if got := VM.Ref("web"); got != "vm/web" {
		t.Errorf("Ref = %q", got)
	}
	if got := VMI.Qualified("web"); got != "virtualmachineinstance.kubevirt.io/web" {
		t.Errorf("Qualified = %q", got)
	}
}
