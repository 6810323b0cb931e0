package linkstate

import (
	"fmt"

	v1 "kubevirt.io/api/core/v1"
)

// Meaning is what a value of spec...interfaces[i].state asks for, whatever its spelling.
type Meaning int

const (
	// MeaningInvalid is a value no dialect knows.
	MeaningInvalid Meaning = iota
	// MeaningUnset is the empty value: link up, but nobody asked explicitly.
	MeaningUnset
	// MeaningUp asks for the link to be up.
	MeaningUp
	// MeaningDown asks for the link to be down: the vNIC stays in the guest, carrier off.
	MeaningDown
	// MeaningAbsent asks for the interface to be hot-unplugged.
	MeaningAbsent
)

// The spellings of each dialect. Absent and the empty value are spelled the same in both.
const (
	SeedUp       v1.InterfaceState = "linkUp"
	SeedDown     v1.InterfaceState = "linkDown"
	UpstreamUp                     = v1.InterfaceStateLinkUp   // "up"
	UpstreamDown                   = v1.InterfaceStateLinkDown // "down"
	Absent                         = v1.InterfaceStateAbsent   // "absent"
	Unset        v1.InterfaceState = ""
)

// Dialect picks the canonical spelling of link up and link down. The other dialect's
// spelling is accepted as an alias (exact case only) and rewritten by the mutator.
type Dialect string

const (
	// Seed spells link state linkUp / linkDown, as the feature was first specified and the patched
	// virt-launcher images do. It is the default.
	Seed Dialect = "seed"
	// Upstream spells link state up / down, as stock KubeVirt >= v1.5 does.
	Upstream Dialect = "upstream"
	// None is a cluster whose KubeVirt has no link state at all (before v1.5, without the
	// patched images): only absent exists. An explicit up or down, in either spelling, is
	// denied (KubeVirt would refuse it, or worse, ignore it), and nothing is defaulted.
	None Dialect = "none"
)

// Dialects lists the dialect names, default first.
var Dialects = []Dialect{Seed, Upstream, None}

// Spellings lists the dialects that spell link up and down (all but None).
var Spellings = []Dialect{Seed, Upstream}

// ParseDialect accepts "seed", "upstream" or "none".
func ParseDialect(s string) (Dialect, error) {
	for _, d := range Dialects {
		if string(d) == s {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown dialect %q: use %q, %q or %q", s, Seed, Upstream, None)
}

// SupportsLinkState reports whether link up and down exist in this dialect.
func (d Dialect) SupportsLinkState() bool { return d != None }

// Up is the canonical spelling of link up in this dialect ("" in None).
func (d Dialect) Up() v1.InterfaceState {
	switch d {
	case Upstream:
		return UpstreamUp
	case None:
		return Unset
	}
	return SeedUp
}

// Down is the canonical spelling of link down in this dialect ("" in None).
func (d Dialect) Down() v1.InterfaceState {
	switch d {
	case Upstream:
		return UpstreamDown
	case None:
		return Unset
	}
	return SeedDown
}

// Other is the dialect whose spellings are aliases in d (None has none: itself).
func (d Dialect) Other() Dialect {
	switch d {
	case Upstream:
		return Seed
	case None:
		return None
	}
	return Upstream
}

// Interpret says what a state value means in this dialect, and whether it is an alias
// (the other dialect's spelling) that the mutator rewrites to the canonical one. In None,
// either spelling of up and down still means up or down (so rules can say why they are
// refused), and nothing is an alias.
func (d Dialect) Interpret(s v1.InterfaceState) (m Meaning, alias bool) {
	switch s {
	case Unset:
		return MeaningUnset, false
	case Absent:
		return MeaningAbsent, false
	}
	if d == None {
		switch s {
		case SeedUp, UpstreamUp:
			return MeaningUp, false
		case SeedDown, UpstreamDown:
			return MeaningDown, false
		}
		return MeaningInvalid, false
	}
	switch s {
	case d.Up():
		return MeaningUp, false
	case d.Down():
		return MeaningDown, false
	case d.Other().Up():
		return MeaningUp, true
	case d.Other().Down():
		return MeaningDown, true
	}
	return MeaningInvalid, false
}

// Canonical is the canonical spelling of a meaning; MeaningUnset and MeaningInvalid have none.
func (d Dialect) Canonical(m Meaning) v1.InterfaceState {
	switch m {
	case MeaningUp:
		return d.Up()
	case MeaningDown:
		return d.Down()
	case MeaningAbsent:
		return Absent
	}
	return Unset
}

// Resolve is the state an interface ends up with: canonical spelling, empty read as up.
// Invalid values come back unchanged so callers can still name them, and so does every
// value in None, which has no spelling of its own.
func (d Dialect) Resolve(s v1.InterfaceState) v1.InterfaceState {
	if d == None {
		return s
	}
	m, _ := d.Interpret(s)
	switch m {
	case MeaningUnset:
		return d.Up()
	case MeaningInvalid:
		return s
	}
	return d.Canonical(m)
}

// LegalValues lists the values that may be written, canonical spellings first, for error
// messages. The empty value is legal too, but "leave it out" needs no advertising.
func (d Dialect) LegalValues() []string {
	if d == None {
		return []string{string(Absent)}
	}
	o := d.Other()
	return []string{string(d.Up()), string(d.Down()), string(Absent), string(o.Up()), string(o.Down())}
}
