package validate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

var specPath = field.NewPath("spec")

// The VM form names its fields under spec.template.spec.
func TestInterfacesVMPath(t *testing.T) {
	vmPath := field.NewPath("spec", "template", "spec")
	got := Interfaces(vmPath, Spec(Ifaces(SRIOV("a", "linkDown")), Multus("a")), linkstate.DefaultConfig())
	want := "spec.template.spec.domain.devices.interfaces[0].state: Invalid value: \"linkDown\": " + msgSRIOV
	if errs := got.Errors(); len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("errors = %v, want exactly %q", errs, want)
	}
}

// The texts users read: field first, then what to do.
func TestUserFacingText(t *testing.T) {
	fs := Interfaces(specPath, Spec(Ifaces(Masquerade("default", "linkDown"), Bridge("x", "sideways")), Pod("default"), Multus("x")), linkstate.DefaultConfig())
	wantErr := `spec.domain.devices.interfaces[1].state: Unsupported value: "sideways": supported values: "linkUp", "linkDown", "absent", "up", "down"`
	if errs := fs.Errors(); len(errs) != 1 || errs[0].Error() != wantErr {
		t.Errorf("errors = %v, want exactly %q", errs, wantErr)
	}
	wantWarn := "spec.domain.devices.interfaces[0].state: the link of the interface on the default network will be down: " +
		"readiness and liveness probes, services and other cluster traffic through it stop working"
	if diff := cmp.Diff([]string{wantWarn}, fs.Warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
