package audit

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
)

func key(vmi bool, ns, name string) Key {
	return Key{VMI: vmi, NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}
}

func TestIndexTotals(t *testing.T) {
	seen := map[Violation]int{}
	ix := NewIndex(func(v Violation, n int) { seen[v] = n })
	b1 := Result{Policy: "builtin", Rule: "B1", Result: Fail}
	p1 := Result{Policy: "builtin", Rule: "P1", Result: Warn}
	l1 := Result{Policy: "no-down", Rule: "L1", Result: Fail}

	ix.Set(key(false, "a", "vm1"), []Result{b1, b1, p1})
	ix.Set(key(true, "a", "vm1"), []Result{b1})
	ix.Set(key(false, "b", "vm2"), []Result{l1})
	want := map[Violation]int{
		{Policy: "builtin", Rule: "B1", Result: Fail}: 3,
		{Policy: "builtin", Rule: "P1", Result: Warn}: 1,
		{Policy: "no-down", Rule: "L1", Result: Fail}: 1,
	}
	if diff := cmp.Diff(want, ix.Totals()); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("reported totals (-want +got):\n%s", diff)
	}

	// vm1 fixed, vm2 gone: their totals drop, to 0 where nothing is left.
	ix.Set(key(false, "a", "vm1"), nil)
	ix.Set(key(false, "b", "vm2"), nil)
	want = map[Violation]int{{Policy: "builtin", Rule: "B1", Result: Fail}: 1}
	if diff := cmp.Diff(want, ix.Totals()); diff != "" {
		t.Errorf("totals after fixes (-want +got):\n%s", diff)
	}
	if seen[Violation{Policy: "builtin", Rule: "P1", Result: Warn}] != 0 || seen[Violation{Policy: "no-down", Rule: "L1", Result: Fail}] != 0 {
		t.Errorf("a total that went to 0 was not reported as 0: %v", seen)
	}
	if ix.Len() != 1 {
		t.Errorf("Len %d, want 1", ix.Len())
	}
	ix.Reset()
	if len(ix.Totals()) != 0 || ix.Len() != 0 || seen[Violation{Policy: "builtin", Rule: "B1", Result: Fail}] != 0 {
		t.Errorf("after Reset: totals %v, len %d, reported %v", ix.Totals(), ix.Len(), seen)
	}
}

func TestIndexOffenders(t *testing.T) {
	ix := NewIndex(nil)
	for i := range 25 {
		ix.Set(key(false, fmt.Sprintf("ns-%02d", 24-i), "vm"), []Result{{Policy: "p", Rule: "L2", Result: Fail}, {Policy: "p", Rule: "L1", Result: Warn}})
	}
	ix.Set(key(true, "ns-00", "vm"), []Result{{Policy: "p", Rule: "L1", Result: Fail}})
	ix.Set(key(false, "ns-00", "other"), []Result{{Policy: "builtin", Rule: "B1", Result: Fail}})
	count, first := ix.Offenders("p", 4)
	if count != 51 {
		t.Errorf("count %d, want 51 (one per result)", count)
	}
	want := []Offender{
		{Kind: "VirtualMachine", Namespace: "ns-00", Name: "vm", Rule: "L1"},
		{Kind: "VirtualMachine", Namespace: "ns-00", Name: "vm", Rule: "L2"},
		{Kind: "VirtualMachineInstance", Namespace: "ns-00", Name: "vm", Rule: "L1"},
		{Kind: "VirtualMachine", Namespace: "ns-01", Name: "vm", Rule: "L1"},
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if count, first := ix.Offenders("absent", 10); count != 0 || len(first) != 0 {
		t.Errorf("unknown policy: %d %v", count, first)
	}
}
