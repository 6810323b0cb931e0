package migration

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func TestStampOf(t *testing.T) {
	vmi := &linkstate.Object{Kind: linkstate.VirtualMachineInstance}
	vmi.Spec.Domain.Devices.Interfaces = []v1.Interface{
		{Name: "default", State: ""},
		{Name: "sec", State: "linkDown"},
		{Name: "alias", State: "up"},
		{Name: "gone", State: "absent"},
		{Name: "vf", State: ""},
	}
	vmi.Status = []v1.VirtualMachineInstanceNetworkInterface{
		{Name: "sec", LinkState: "down"},
		{Name: "default", LinkState: "up"},
		{Name: "vf"},                     // SR-IOV: no link state reported
		{LinkState: "up", IP: "1.2.3.4"}, // guest-agent interface with no name
	}
	tests := map[linkstate.Dialect]Stamp{
		linkstate.Seed: {
			Interfaces: `{"alias":"linkUp","default":"linkUp","gone":"absent","sec":"linkDown","vf":"linkUp"}`,
			Observed:   `{"default":"up","sec":"down"}`,
		},
		linkstate.Upstream: {
			Interfaces: `{"alias":"up","default":"up","gone":"absent","sec":"down","vf":"up"}`,
			Observed:   `{"default":"up","sec":"down"}`,
		},
	}
	for d, want := range tests {
		if diff := cmp.Diff(want, StampOf(vmi, d)); diff != "" {
			t.Errorf("%s stamp (-want +got):\n%s", d, diff)
		}
	}
	if empty := StampOf(&linkstate.Object{}, linkstate.Seed); empty != (Stamp{Interfaces: "{}", Observed: "{}"}) {
		t.Errorf("stamp of a VMI without interfaces = %v, want two empty objects", empty)
	}
}

func TestDecode(t *testing.T) {
	m, err := Decode([]byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstanceMigration",
	  "metadata":{"generateName":"mig-","namespace":"ns","annotations":{"a":"b"}},"spec":{"vmiName":"vm1"},"status":{"phase":"Pending"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Migration{Namespace: "ns", Name: "mig-", VMIName: "vm1", Annotations: map[string]string{"a": "b"}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
	for raw, msg := range map[string]string{
		``:                                "no VirtualMachineInstanceMigration",
		`{"spec":{"vmiName":5}}`:          "cannot read VirtualMachineInstanceMigration",
		`{"metadata":{"annotations":[]}}`: "cannot read VirtualMachineInstanceMigration",
	} {
		if _, err := Decode([]byte(raw)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Decode(%q) error = %v, want %q", raw, err, msg)
		}
	}
}
