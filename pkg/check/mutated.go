package check

import (
	"strconv"
	"strings"

	gomodjsonpatch "gomodules.xyz/jsonpatch/v2"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// mutatedObject is obj with the mutation's patch applied. The VM and VMI mutation only
// sets interface states — add or replace of a string at Kind.StatePointer(i) — so it is
// applied to the decoded object: applying it to the JSON, as the API server does, costs
// a parse and an encoding of the whole manifest, and a second decoding for the validator.
// ok is false for a patch of any other shape; the caller applies that one to the JSON.
// TestMutatedObjectMatchesThePatchedJSON holds the two ways to the same object.
func mutatedObject(obj *linkstate.Object, ops []gomodjsonpatch.Operation) (*linkstate.Object, bool) {
	ifaces := obj.Spec.Domain.Devices.Interfaces
	prefix := obj.Kind.SpecPointer + "/domain/devices/interfaces/"
	states := make(map[int]string, len(ops))
	for _, op := range ops {
		value, isString := op.Value.(string)
		rest, underInterfaces := strings.CutPrefix(op.Path, prefix)
		index, isState := strings.CutSuffix(rest, "/state")
		i, err := strconv.Atoi(index)
		if (op.Operation != "add" && op.Operation != "replace") || !isString || !underInterfaces || !isState ||
			err != nil || strconv.Itoa(i) != index || i < 0 || i >= len(ifaces) {
			return nil, false
		}
		states[i] = value
	}
	out := *obj
	out.Spec.Domain.Devices.Interfaces = append([]v1.Interface(nil), ifaces...)
	for i, state := range states {
		out.Spec.Domain.Devices.Interfaces[i].State = v1.InterfaceState(state)
	}
	return &out, true
}
