package cel

import (
	"fmt"
	"slices"

	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Dialects are the dialects policies can be generated for: those whose spellings are fixed
// when the policies are written. (A dialect decided by asking the cluster is decided before
// generating, by whoever runs `webhook cel`.)
var Dialects = []linkstate.Dialect{linkstate.Seed, linkstate.Upstream}

// spellings is what the policies know of a dialect, all of it asked of linkstate.Dialect:
// this is the generator's only dialect-dependent code.
type spellings struct {
	dialect linkstate.Dialect
	// values lists every value the dialect knows, the empty one first, and meaning gives
	// each its meaning's name in the policies (see meaningNames).
	values  []string
	meaning map[string]string
	// canonical maps each alias (the other dialect's spelling) to this dialect's.
	aliases   []string
	canonical map[string]string
	up, down  string
	// legal is what a denial of an unknown value lists, as the webhook lists it.
	legal []string
}

// The names of a state's meanings inside the policies.
var meaningNames = map[linkstate.Meaning]string{
	linkstate.MeaningUnset:  "unset",
	linkstate.MeaningUp:     "up",
	linkstate.MeaningDown:   "down",
	linkstate.MeaningAbsent: "absent",
}

// meaningInvalid is the meaning of any value the dialect does not know.
const meaningInvalid = "invalid"

func spellingsOf(d linkstate.Dialect) (spellings, error) {
	if d == linkstate.None {
		return spellings{}, fmt.Errorf("no policies for dialect %s: a KubeVirt without link state needs only up and down refused, "+
			"which the webhook does (admission.mode=webhook); the policies are generated for %v", d, Dialects)
	}
	if !slices.Contains(Dialects, d) {
		return spellings{}, fmt.Errorf("policies can be generated for the dialects %v, not %q", Dialects, d)
	}
	s := spellings{
		dialect:   d,
		meaning:   map[string]string{},
		canonical: map[string]string{},
		up:        string(d.Up()),
		down:      string(d.Down()),
		legal:     d.LegalValues(),
	}
	for _, value := range append([]string{string(linkstate.Unset)}, s.legal...) {
		m, alias := d.Interpret(v1.InterfaceState(value))
		name, ok := meaningNames[m]
		if !ok {
			return spellings{}, fmt.Errorf("dialect %s: value %q, one of its legal values, means nothing", d, value)
		}
		s.values = append(s.values, value)
		s.meaning[value] = name
		if alias {
			s.aliases = append(s.aliases, value)
			s.canonical[value] = string(d.Canonical(m))
		}
	}
	return s, nil
}
