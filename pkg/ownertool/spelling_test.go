package ownertool

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func TestSpellingInUse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ifaces []v1.Interface
		want   linkstate.Dialect // "" when unknown
	}{
		{"seed", []v1.Interface{Bridge("a", ""), Bridge("b", "linkDown")}, linkstate.Seed},
		{"upstream", []v1.Interface{Bridge("a", "up"), Bridge("b", "absent")}, linkstate.Upstream},
		{"none", []v1.Interface{Bridge("a", ""), Bridge("b", "absent"), SRIOV("c", "")}, ""},
		{"invalid values say nothing", []v1.Interface{Bridge("a", "Down"), Bridge("b", "off")}, ""},
		{"both", []v1.Interface{Bridge("a", "up"), Bridge("b", "linkDown")}, ""},
		{"no interfaces", nil, ""},
	} {
		got, ok := SpellingInUse(tc.ifaces)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("%s: SpellingInUse = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}

func TestDisplayDialect(t *testing.T) {
	unknown := vmObject("web", false, []v1.Interface{SRIOV("a", "")})
	seedVMI := vmiObject("web", []v1.Interface{Bridge("a", "linkUp")}, nil)
	upstreamVM := vmObject("web", false, []v1.Interface{Bridge("a", "down")})
	for _, tc := range []struct {
		name   string
		forced linkstate.Dialect
		objs   []*Object
		want   linkstate.Dialect
	}{
		{"forced wins", linkstate.Seed, []*Object{upstreamVM}, linkstate.Seed},
		{"the VM's spelling", "", []*Object{upstreamVM, seedVMI}, linkstate.Upstream},
		{"else the VMI's", "", []*Object{unknown, seedVMI}, linkstate.Seed},
		{"no VMI", "", []*Object{unknown, nil}, linkstate.Upstream},
	} {
		if got := DisplayDialect(tc.forced, tc.objs...); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestStoredSpelling(t *testing.T) {
	after := vmObject("web", false, []v1.Interface{Bridge("a", "up"), Bridge("b", "linkDown"), Bridge("c", "")})
	if d, ok := StoredSpelling(after, []int{1, 2}); !ok || d != linkstate.Seed {
		t.Errorf("StoredSpelling = %q, %v; want seed", d, ok)
	}
	if _, ok := StoredSpelling(after, []int{2, 7}); ok {
		t.Errorf("an empty or missing state names no spelling")
	}
}

func TestDeniedForSpelling(t *testing.T) {
	gk := schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachine"}
	invalid := func(path *field.Path) error {
		return apierrors.NewInvalid(gk, "web", field.ErrorList{field.NotSupported(path, "linkDown", []string{"up", "down", "absent"})})
	}
	ifaces := linkstate.VirtualMachine.SpecPath.Child("domain", "devices", "interfaces")
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"state of a changed interface", invalid(ifaces.Index(1).Child("state")), true},
		{"wrapped", fmt.Errorf("patching: %w", invalid(ifaces.Index(1).Child("state"))), true},
		{"state of another interface", invalid(ifaces.Index(0).Child("state")), false},
		{"another field", invalid(ifaces.Index(1).Child("model")), false},
		{"the VMI's path", invalid(StatePath(linkstate.VirtualMachineInstance, 1)), false},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{}, "web", errors.New("no")), false},
		{"not an API error", errors.New("connection refused"), false},
		{"invalid without details", apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "patch", schema.GroupResource{}, "", "", 0, false), false},
	} {
		if got := DeniedForSpelling(tc.err, linkstate.VirtualMachine, []int{1, 2}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFailedTest(t *testing.T) {
	// What kube-apiserver answers when a JSON patch's test op fails (handlers/patch.go):
	// the message is not passed on.
	answer := func(msg string) error {
		return apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", msg, 0, false)
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"name differs", answer("testing value /spec/template/spec/domain/devices/interfaces/1/name failed: test failed"), true},
		{"index gone", answer("test operation does not apply: is missing path: /spec/domain/devices/interfaces/3/name: missing value"), true},
		{"a webhook denial", invalid422(), false},
		{"an invalid object without causes", apierrors.NewInvalid(schema.GroupKind{Kind: "VirtualMachine"}, "web", nil), false},
		{"conflict", apierrors.NewConflict(schema.GroupResource{}, "web", errors.New("changed")), false},
	} {
		if got := failedTest(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func invalid422() error {
	return apierrors.NewInvalid(schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachine"}, "web", field.ErrorList{
		field.Invalid(StatePath(linkstate.VirtualMachine, 1), "linkDown", "link state cannot be set on an SR-IOV interface"),
	})
}
