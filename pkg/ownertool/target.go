package ownertool

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Target is a kind of object whose interfaces this tool reads and patches.
type Target struct {
	linkstate.Kind
	// Resource is the API resource (kubevirt.io/v1, virtualmachines or
	// virtualmachineinstances).
	Resource schema.GroupVersionResource
	// Short is the name users type and the tool prints: vm or vmi.
	Short string
	names []string
}

var (
	// VM is a VirtualMachine: its desired states sit in spec.template.spec; what the guest
	// has is reported by the VMI of the same name.
	VM = Target{
		Kind:     linkstate.VirtualMachine,
		Resource: v1.GroupVersion.WithResource("virtualmachines"),
		Short:    "vm",
		names:    []string{"vm", "vms", "virtualmachine", "virtualmachines"},
	}
	// VMI is a VirtualMachineInstance: spec and status in one object.
	VMI = Target{
		Kind:     linkstate.VirtualMachineInstance,
		Resource: v1.GroupVersion.WithResource("virtualmachineinstances"),
		Short:    "vmi",
		names:    []string{"vmi", "vmis", "virtualmachineinstance", "virtualmachineinstances"},
	}
	// Targets lists the kinds in the order help and completion show them.
	Targets = []Target{VM, VMI}
)

// ParseTarget reads a kind the way kubectl accepts one: short name, singular or plural,
// optionally qualified by the group (virtualmachines.kubevirt.io), case-insensitively.
func ParseTarget(s string) (Target, error) {
	name := strings.ToLower(s)
	if base, group, ok := strings.Cut(name, "."); ok {
		if group != v1.GroupVersion.Group && group != v1.GroupVersion.Version+"."+v1.GroupVersion.Group {
			return Target{}, unknownTarget(s)
		}
		name = base
	}
	for _, t := range Targets {
		for _, n := range t.names {
			if n == name {
				return t, nil
			}
		}
	}
	return Target{}, unknownTarget(s)
}

func unknownTarget(s string) error {
	return fmt.Errorf("unknown resource type %q: use vm (VirtualMachine) or vmi (VirtualMachineInstance)", s)
}

// ParseObjectArgs reads the object arguments of a command: `vm NAME`, `vm/NAME`, or (when
// nameOptional) a bare `vm`. It returns the target, the name (may be empty) and the
// arguments that follow.
func ParseObjectArgs(args []string, nameOptional bool) (Target, string, []string, error) {
	if len(args) == 0 {
		return Target{}, "", nil, fmt.Errorf("a resource type is required: vm or vmi")
	}
	kind, name, slashed := strings.Cut(args[0], "/")
	t, err := ParseTarget(kind)
	if err != nil {
		return Target{}, "", nil, err
	}
	rest := args[1:]
	if !slashed {
		if len(rest) > 0 {
			name, rest = rest[0], rest[1:]
		}
	}
	if name == "" && !nameOptional {
		return Target{}, "", nil, fmt.Errorf("a %s name is required", t.GroupKind.Kind)
	}
	return t, name, rest, nil
}

// Ref is how the tool names one object in messages: vm/web.
func (t Target) Ref(name string) string { return t.Short + "/" + name }

// Qualified is how kubectl names one object in its results:
// virtualmachine.kubevirt.io/web.
func (t Target) Qualified(name string) string {
	return strings.ToLower(t.GroupKind.Kind) + "." + t.GroupKind.Group + "/" + name
}
