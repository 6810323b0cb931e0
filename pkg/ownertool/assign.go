package ownertool

import (
	"fmt"
	"strings"

	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Assignment is one IFACE=STATE argument: the meaning asked for, whatever its spelling.
// The spelling written to the cluster is chosen later (see ChooseDialect).
type Assignment struct {
	Interface string
	Meaning   linkstate.Meaning
}

// ParseAssignments reads IFACE=STATE arguments. STATE is up or down in either dialect's
// spelling (up, down, linkUp, linkDown). absent is refused unless allowAbsent: unplugging
// is final on a running VM, so it has its own command that says so first. Naming one
// interface twice is an error, even with the same value: it is a typo more often than not.
func ParseAssignments(args []string, allowAbsent bool) ([]Assignment, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("at least one IFACE=STATE is required (STATE: up or down)")
	}
	seen := map[string]bool{}
	out := make([]Assignment, 0, len(args))
	for _, arg := range args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%q: want IFACE=STATE, for example eth1=down", arg)
		}
		if seen[name] {
			return nil, fmt.Errorf("interface %q is named more than once", name)
		}
		seen[name] = true
		m, err := parseMeaning(value, allowAbsent)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		out = append(out, Assignment{Interface: name, Meaning: m})
	}
	return out, nil
}

// parseMeaning accepts either dialect's spelling: the user says what they mean, and the
// tool writes it the way the cluster spells it.
func parseMeaning(value string, allowAbsent bool) (linkstate.Meaning, error) {
	m, _ := linkstate.Seed.Interpret(v1.InterfaceState(value))
	switch m {
	case linkstate.MeaningUp, linkstate.MeaningDown:
		return m, nil
	case linkstate.MeaningAbsent:
		if allowAbsent {
			return m, nil
		}
		return 0, fmt.Errorf("unplugging is final while the VM runs: use `kubectl linkstate unplug`, which asks first")
	case linkstate.MeaningUnset:
		return 0, fmt.Errorf("no state given: use up or down")
	}
	return 0, fmt.Errorf("unknown state %q: use up or down (linkUp and linkDown are accepted too)", value)
}
