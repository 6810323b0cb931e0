package audit

import (
	"cmp"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Key names a standing object the scanner judges.
type Key struct {
	// VMI is set for a VirtualMachineInstance, clear for a VirtualMachine.
	VMI bool
	types.NamespacedName
}

// Kind is the linkstate kind the key names.
func (k Key) Kind() linkstate.Kind {
	if k.VMI {
		return linkstate.VirtualMachineInstance
	}
	return linkstate.VirtualMachine
}

// String is "VirtualMachine ns/name".
func (k Key) String() string { return k.Kind().GroupKind.Kind + " " + k.NamespacedName.String() }

// Violation is one result reduced to what the gauges and the offender lists count by.
type Violation struct {
	Policy, Rule string
	Result       Outcome
}

// Offender is an object with a violation of some policy, as a policy's status lists it.
type Offender struct {
	Kind, Namespace, Name, Rule string
}

// Index keeps, for every judged object, its current violations, and their totals: the
// gauges show the totals, and a policy's status its first offenders. It holds a few dozen
// bytes per violation, never the messages (the Reports have those).
type Index struct {
	mu       sync.Mutex
	byObject map[Key][]Violation
	totals   map[Violation]int
	// onTotal sees every total that changed (0: the violation is gone everywhere).
	onTotal func(Violation, int)
}

// NewIndex starts empty; onTotal (may be nil) sees every change of a total.
func NewIndex(onTotal func(Violation, int)) *Index {
	return &Index{byObject: map[Key][]Violation{}, totals: map[Violation]int{}, onTotal: onTotal}
}

// Set records the results of k now (none: k is clean or gone).
func (ix *Index) Set(k Key, results []Result) {
	var vs []Violation
	if len(results) > 0 {
		vs = make([]Violation, len(results))
		for i, r := range results {
			vs[i] = Violation{Policy: r.Policy, Rule: r.Rule, Result: r.Result}
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	old := ix.byObject[k]
	if slices.Equal(old, vs) {
		return
	}
	changed := map[Violation]struct{}{}
	for _, v := range old {
		ix.totals[v]--
		changed[v] = struct{}{}
	}
	for _, v := range vs {
		ix.totals[v]++
		changed[v] = struct{}{}
	}
	if len(vs) == 0 {
		delete(ix.byObject, k)
	} else {
		ix.byObject[k] = vs
	}
	for v := range changed {
		n := ix.totals[v]
		if n == 0 {
			delete(ix.totals, v)
		}
		if ix.onTotal != nil {
			ix.onTotal(v, n)
		}
	}
}

// Totals is a copy of the current totals.
func (ix *Index) Totals() map[Violation]int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	out := make(map[Violation]int, len(ix.totals))
	for v, n := range ix.totals {
		out[v] = n
	}
	return out
}

// Offenders are the violations of policy: their count (one per result) and the first
// limit offenders by namespace, name, kind and rule. It keeps only limit offenders while
// it looks, whatever the number of violations.
func (ix *Index) Offenders(policy string, limit int) (int, []Offender) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	count := 0
	first := make([]Offender, 0, limit+1)
	for k, vs := range ix.byObject {
		for _, v := range vs {
			if v.Policy != policy {
				continue
			}
			count++
			o := Offender{Kind: k.Kind().GroupKind.Kind, Namespace: k.Namespace, Name: k.Name, Rule: v.Rule}
			i, found := slices.BinarySearchFunc(first, o, compareOffenders)
			if found || i >= limit {
				continue
			}
			first = slices.Insert(first, i, o)
			if len(first) > limit {
				first = first[:limit]
			}
		}
	}
	return count, first
}

func compareOffenders(a, b Offender) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Rule, b.Rule))
}

// Len is the number of objects with violations.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.byObject)
}

// Reset forgets everything (a replica that stops scanning must not keep reporting).
func (ix *Index) Reset() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for v := range ix.totals {
		if ix.onTotal != nil {
			ix.onTotal(v, 0)
		}
	}
	ix.byObject, ix.totals = map[Key][]Violation{}, map[Violation]int{}
}
