package ownertool

import (
	"fmt"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Change is what a patch does to one interface.
type Change struct {
	Interface string
	Index     int
	From, To  v1.InterfaceState
}

// BuildPatch is the JSON patch (RFC 6902) that sets each assignment in dialect d's
// spelling. The interface list is addressed by index, as JSON patch must, so every write
// is preceded by a test of the name at that index: if the list was reordered (or an
// interface removed) since obj was read, the API server rejects the whole patch instead of
// changing the wrong NIC. Only interfaces/N/state is written; nothing else of the object
// is sent back, so fields this tool does not know are never touched.
func BuildPatch(obj *Object, assigns []Assignment, d linkstate.Dialect) ([]jsonpatch.Operation, []Change, error) {
	var tests, writes []jsonpatch.Operation
	var changes []Change
	for _, a := range assigns {
		i, err := obj.findInterface(a.Interface)
		if err != nil {
			return nil, nil, err
		}
		from := obj.Interfaces()[i].State
		to := d.Canonical(a.Meaning)
		if to == linkstate.Unset {
			return nil, nil, fmt.Errorf("interface %q: nothing to set", a.Interface)
		}
		op := "replace"
		if from == linkstate.Unset {
			op = "add" // the member may be missing; add sets it either way
		}
		tests = append(tests, jsonpatch.Operation{Operation: "test", Path: namePointer(obj.Target.Kind, i), Value: a.Interface})
		writes = append(writes, jsonpatch.Operation{Operation: op, Path: obj.Target.StatePointer(i), Value: string(to)})
		changes = append(changes, Change{Interface: a.Interface, Index: i, From: from, To: to})
	}
	return append(tests, writes...), changes, nil
}

// namePointer is the JSON pointer of interfaces[i].name.
func namePointer(k linkstate.Kind, i int) string {
	return strings.TrimSuffix(k.StatePointer(i), "/state") + "/name"
}

// Indexes lists the interface indexes the changes touch.
func Indexes(changes []Change) []int {
	out := make([]int, len(changes))
	for i, c := range changes {
		out[i] = c.Index
	}
	return out
}

// Stored reads back, from the object the server answered with, the state each change left
// behind (the mutating webhook may have rewritten the spelling).
func Stored(obj *Object, changes []Change) []Change {
	out := make([]Change, len(changes))
	for i, c := range changes {
		out[i] = c
		if c.Index < len(obj.Interfaces()) && obj.Interfaces()[c.Index].Name == c.Interface {
			out[i].To = obj.Interfaces()[c.Index].State
		}
	}
	return out
}

// DescribeChanges is the one-line summary of a patch: `eth1 linkUp -> linkDown, eth2 ...`.
// An empty From is shown as (empty).
func DescribeChanges(changes []Change) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		from := string(c.From)
		if from == "" {
			from = "(empty)"
		}
		parts[i] = fmt.Sprintf("%s %s -> %s", c.Interface, from, c.To)
	}
	return strings.Join(parts, ", ")
}
