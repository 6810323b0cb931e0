package mutate

import (
	"gomodules.xyz/jsonpatch/v2"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// StatePatch is the JSON patch (RFC 6902) that turns the interfaces' states in before into
// those in after, for an object of kind k. It touches interfaces/N/state and nothing else:
// never a diff of whole objects, which would remove every field the Go types do not know.
// Both slices must come from the same request, in the same order.
func StatePatch(k linkstate.Kind, before, after []v1.Interface) []jsonpatch.Operation {
	var ops []jsonpatch.Operation
	for i := range after {
		if i >= len(before) || before[i].State == after[i].State {
			continue
		}
		op := "replace"
		if before[i].State == "" {
			op = "add" // the member may be missing; add sets it either way
		}
		ops = append(ops, jsonpatch.Operation{Operation: op, Path: k.StatePointer(i), Value: string(after[i].State)})
	}
	return ops
}
