package linkstate

import (
	"testing"

	v1 "kubevirt.io/api/core/v1"
)

func TestInterpret(t *testing.T) {
	type verdict struct {
		meaning Meaning
		alias   bool
	}
	tests := map[v1.InterfaceState]map[Dialect]verdict{
		"":         {Seed: {MeaningUnset, false}, Upstream: {MeaningUnset, false}, None: {MeaningUnset, false}},
		"absent":   {Seed: {MeaningAbsent, false}, Upstream: {MeaningAbsent, false}, None: {MeaningAbsent, false}},
		"linkUp":   {Seed: {MeaningUp, false}, Upstream: {MeaningUp, true}, None: {MeaningUp, false}},
		"linkDown": {Seed: {MeaningDown, false}, Upstream: {MeaningDown, true}, None: {MeaningDown, false}},
		"up":       {Seed: {MeaningUp, true}, Upstream: {MeaningUp, false}, None: {MeaningUp, false}},
		"down":     {Seed: {MeaningDown, true}, Upstream: {MeaningDown, false}, None: {MeaningDown, false}},
		"Up":       {Seed: {MeaningInvalid, false}, Upstream: {MeaningInvalid, false}, None: {MeaningInvalid, false}},
		"LINKDOWN": {Seed: {MeaningInvalid, false}, Upstream: {MeaningInvalid, false}},
		"Absent":   {Seed: {MeaningInvalid, false}, Upstream: {MeaningInvalid, false}},
		" up":      {Seed: {MeaningInvalid, false}, Upstream: {MeaningInvalid, false}},
		"sideways": {Seed: {MeaningInvalid, false}, Upstream: {MeaningInvalid, false}},
	}
	for state, byDialect := range tests {
		for d, want := range byDialect {
			m, alias := d.Interpret(state)
			if m != want.meaning || alias != want.alias {
				t.Errorf("%s.Interpret(%q) = (%v, %v), want (%v, %v)", d, state, m, alias, want.meaning, want.alias)
			}
		}
	}
}

func TestCanonicalAndResolve(t *testing.T) {
	tests := []struct {
		d             Dialect
		state         v1.InterfaceState
		wantCanonical v1.InterfaceState // of the state's meaning
		wantResolved  v1.InterfaceState
	}{
		{Seed, "", "", "linkUp"},
		{Seed, "up", "linkUp", "linkUp"},
		{Seed, "down", "linkDown", "linkDown"},
		{Seed, "absent", "absent", "absent"},
		{Seed, "bogus", "", "bogus"},
		{Upstream, "", "", "up"},
		{Upstream, "linkUp", "up", "up"},
		{Upstream, "linkDown", "down", "down"},
		{Upstream, "down", "down", "down"},
		// None has no spellings: nothing resolves to one.
		{None, "", "", ""},
		{None, "down", "", "down"},
		{None, "absent", "absent", "absent"},
	}
	for _, tc := range tests {
		m, _ := tc.d.Interpret(tc.state)
		if got := tc.d.Canonical(m); got != tc.wantCanonical {
			t.Errorf("%s.Canonical(meaning of %q) = %q, want %q", tc.d, tc.state, got, tc.wantCanonical)
		}
		if got := tc.d.Resolve(tc.state); got != tc.wantResolved {
			t.Errorf("%s.Resolve(%q) = %q, want %q", tc.d, tc.state, got, tc.wantResolved)
		}
	}
}

func TestParseDialect(t *testing.T) {
	for _, ok := range []string{"seed", "upstream", "none"} {
		if d, err := ParseDialect(ok); err != nil || string(d) != ok {
			t.Errorf("ParseDialect(%q) = %q, %v", ok, d, err)
		}
	}
	for _, bad := range []string{"", "Seed", "up", "linkUp"} {
		if _, err := ParseDialect(bad); err == nil {
			t.Errorf("ParseDialect(%q): want an error", bad)
		}
	}
}

func TestLegalValues(t *testing.T) {
	seed := Seed.LegalValues()
	if len(seed) != 5 || seed[0] != "linkUp" || seed[1] != "linkDown" || seed[2] != "absent" || seed[3] != "up" || seed[4] != "down" {
		t.Errorf("Seed.LegalValues() = %q", seed)
	}
	up := Upstream.LegalValues()
	if len(up) != 5 || up[0] != "up" || up[1] != "down" || up[3] != "linkUp" {
		t.Errorf("Upstream.LegalValues() = %q", up)
	}
	if none := None.LegalValues(); len(none) != 1 || none[0] != "absent" {
		t.Errorf("None.LegalValues() = %q", none)
	}
}
