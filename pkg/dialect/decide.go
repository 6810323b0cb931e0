package dialect

import "github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"

// Decide reads the evidence: only linkDown accepted is seed, only down accepted is
// upstream, both refused is none. Both accepted (no KubeVirt webhook judged the state, or
// one that takes both) and any unknown answer decide nothing (ok is false).
func Decide(e Evidence) (d linkstate.Dialect, ok bool) {
	switch {
	case e.Seed == Accepted && e.Upstream == Refused:
		return linkstate.Seed, true
	case e.Seed == Refused && e.Upstream == Accepted:
		return linkstate.Upstream, true
	case e.Seed == Refused && e.Upstream == Refused:
		return linkstate.None, true
	}
	return "", false
}
