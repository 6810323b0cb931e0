package domain

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
)

func TestTarget(t *testing.T) {
	tests := []struct {
		name    string
		dialect linkstate.Dialect
		ifaces  []v1.Interface
		stamp   string
		want    TargetLinks
		wantErr string
	}{{
		name:    "no stamp: the spec alone",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Masquerade("default", "linkUp"), fixture.Bridge("sec", "linkDown"), fixture.Bridge("gone", "absent")),
		want:    TargetLinks{Links: Links{"default": Up, "sec": Down}, Absent: []string{"gone"}},
	}, {
		name:    "the stamp as the webhook writes it, agreeing with the spec",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Masquerade("default", "linkUp"), fixture.Bridge("sec", "linkDown"), fixture.SRIOV("vf", "")),
		stamp:   `{"default":"linkUp","sec":"linkDown","vf":"linkUp"}`,
		want:    TargetLinks{Links: Links{"default": Up, "sec": Down}},
	}, {
		name:    "the spec wins where it disagrees, and says so",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Masquerade("default", "linkUp"), fixture.Bridge("sec", "linkUp"), fixture.Bridge("third", "linkDown")),
		stamp:   `{"default":"linkUp","sec":"linkDown","third":""}`,
		want: TargetLinks{
			Links:      Links{"default": Up, "sec": Up, "third": Down},
			Overridden: []Override{{Interface: "sec", Stamped: "linkDown", Spec: "linkUp"}, {Interface: "third", Stamped: "", Spec: "linkDown"}},
		},
	}, {
		name:    "an empty spec state takes the stamp's",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("sec", ""), fixture.Bridge("other", ""), fixture.Bridge("gone", "")),
		stamp:   `{"sec":"linkDown","gone":"absent"}`,
		want:    TargetLinks{Links: Links{"sec": Down, "other": Up}, Absent: []string{"gone"}},
	}, {
		name:    "either dialect's spelling, in the spec and in the stamp",
		dialect: linkstate.Upstream,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "linkDown"), fixture.Bridge("b", ""), fixture.Bridge("c", "up")),
		stamp:   `{"a":"down","b":"linkDown","c":"linkUp"}`,
		want:    TargetLinks{Links: Links{"a": Down, "b": Down, "c": Up}},
	}, {
		name:    "absent in the spec wins over a stamped down, on any binding",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "absent"), fixture.SRIOV("vf", "absent")),
		stamp:   `{"a":"linkDown"}`,
		want:    TargetLinks{Links: Links{}, Absent: []string{"a", "vf"}, Overridden: []Override{{Interface: "a", Stamped: "linkDown", Spec: "absent"}}},
	}, {
		name:    "bindings that do not apply link state get no link from the stamp",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.SRIOV("vf", ""), fixture.PasstBinding("p", ""), fixture.Plugin("y", "vendor-y", ""), fixture.Plugin("x", "vendor-x", "")),
		stamp:   `{"vf":"linkDown","p":"linkDown","y":"linkDown","x":"linkDown"}`,
		want:    TargetLinks{Links: Links{"x": Down}},
	}, {
		name:    "stamp entries for interfaces the VMI does not have are ignored",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "")),
		stamp:   `{"removed":"linkDown"}`,
		want:    TargetLinks{Links: Links{"a": Up}},
	}, {
		name:    "an empty stamp object",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "")),
		stamp:   `{}`,
		want:    TargetLinks{Links: Links{"a": Up}},
	}, {
		name:    "a stamp that is not JSON",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "")),
		stamp:   `a=linkDown`,
		wantErr: "annotation linkstate.kubevirt.io/interfaces: not a JSON object of interface name to state: invalid character 'a' looking for beginning of value",
	}, {
		name:    "a stamp with a value that is not a string",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "")),
		stamp:   `{"a":false}`,
		wantErr: "annotation linkstate.kubevirt.io/interfaces: not a JSON object of interface name to state: json: cannot unmarshal bool into Go value of type string",
	}, {
		name:    "a stamp that is null",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "")),
		stamp:   `null`,
		wantErr: "annotation linkstate.kubevirt.io/interfaces: null is not a JSON object of interface name to state",
	}, {
		name:    "a stamped value no dialect knows",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "linkUp")),
		stamp:   `{"a":"linkUp","b":"Down"}`,
		wantErr: `annotation linkstate.kubevirt.io/interfaces: interface "b": unknown state "Down": use one of ["linkUp" "linkDown" "absent" "up" "down"]`,
	}, {
		name:    "a spec value no dialect knows",
		dialect: linkstate.Upstream,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "off")),
		stamp:   `{"a":"down"}`,
		wantErr: `spec.domain.devices.interfaces[0].state: Unsupported value: "off": supported values: "up", "down", "absent", "linkUp", "linkDown"`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Target(config(tc.dialect), vmiWith(tc.ifaces...), tc.stamp)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error:\n got %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("target (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTargetReadsTheWebhooksStamp closes the loop with the writer: whatever
// linkstate.MigrationStamp writes for a VMI, Target reads back to the links Desired gives
// for the same VMI, with nothing overridden.
func TestTargetReadsTheWebhooksStamp(t *testing.T) {
	if stampAnnotation != migration.AnnotationInterfaces {
		t.Fatalf("the launcher reads %q, the webhooks stamp %q", stampAnnotation, migration.AnnotationInterfaces)
	}
	ifaces := fixture.Ifaces(
		fixture.Masquerade("default", ""),
		fixture.Bridge("sec", "linkDown"),
		fixture.Bridge("alias", "down"),
		fixture.Bridge("gone", "absent"),
		fixture.SRIOV("vf", ""),
		fixture.Plugin("x", "vendor-x", "linkDown"),
	)
	for _, d := range linkstate.Dialects {
		obj := &linkstate.Object{Kind: linkstate.VirtualMachineInstance}
		obj.Spec.Domain.Devices.Interfaces = ifaces
		stamp := migration.StampOf(obj, d).Interfaces
		cfg := config(d)
		got, err := Target(cfg, vmiWith(ifaces...), stamp)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		desired, err := Desired(cfg, vmiWith(ifaces...))
		if err != nil {
			t.Fatal(err)
		}
		want := TargetLinks{Links: desired, Absent: []string{"gone"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: stamp %s read back (-want +got):\n%s", d, stamp, diff)
		}
	}
}
