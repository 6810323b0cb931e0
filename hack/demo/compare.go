package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// compare lists how got differs from o. creating tells whether the step created the object.
func (o outcome) compare(got observed, creating bool) []string {
	var problems []string
	if o.denied == nil {
		if got.err != nil {
			problems = append(problems, "want allowed, got: "+got.err.Error())
		}
	} else {
		problems = append(problems, compareDenial(o.denied, got.err)...)
	}
	problems = append(problems, compareWarnings(o.warnings, got.warnings)...)
	if got.readErr != nil {
		return append(problems, "reading the object back: "+got.readErr.Error())
	}
	if got.stored == nil {
		if !creating || o.denied == nil {
			problems = append(problems, "nothing is stored, want the object")
		}
		return problems
	}
	if creating && o.denied != nil {
		problems = append(problems, "the denied object was stored")
	}
	if o.states != nil {
		if got, want := describe(byName(interfaceStates(got.stored))), describe(fromMap(o.states)); got != want {
			problems = append(problems, fmt.Sprintf("stored states %s, want %s", got, want))
		}
	}
	if o.linkStates != nil {
		if got, want := describe(byName(linkStates(got.stored))), describe(fromMap(o.linkStates)); got != want {
			problems = append(problems, fmt.Sprintf("reported link states %s, want %s", got, want))
		}
	}
	return problems
}

// compareDenial wants err to be the webhook's 422 Invalid with exactly the expected causes.
func compareDenial(want map[string]string, err error) []string {
	if err == nil {
		return []string{"want denied, got allowed"}
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Reason != metav1.StatusReasonInvalid {
		return []string{"want a denial (422 Invalid), got: " + err.Error()}
	}
	var problems []string
	seen := map[string]bool{}
	if d := status.Status().Details; d != nil {
		for _, c := range d.Causes {
			seen[c.Field] = true
			fragment, ok := want[c.Field]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("unexpected cause at %s: %s", c.Field, c.Message))
			case !strings.Contains(c.Message, fragment):
				problems = append(problems, fmt.Sprintf("cause at %s: %q does not contain %q", c.Field, c.Message, fragment))
			}
		}
	}
	for field := range want {
		if !seen[field] {
			problems = append(problems, "no cause at "+field)
		}
	}
	slices.Sort(problems)
	return problems
}

// compareWarnings matches each expected fragment with a different warning.
func compareWarnings(want, got []string) []string {
	rest := slices.Clone(got)
	var problems []string
	for _, fragment := range want {
		i := slices.IndexFunc(rest, func(w string) bool { return strings.Contains(w, fragment) })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("no warning containing %q", fragment))
			continue
		}
		rest = slices.Delete(rest, i, i+1)
	}
	for _, w := range rest {
		problems = append(problems, "unexpected warning: "+w)
	}
	return problems
}

// named is one interface's state or link state, in the object's order.
type named struct{ name, value string }

func interfaceStates(u *unstructured.Unstructured) []named {
	path := []string{"spec", "domain", "devices", "interfaces"}
	if u.GetKind() == "VirtualMachine" {
		path = append([]string{"spec", "template"}, path...)
	}
	return namedValues(u, "state", path...)
}

func linkStates(u *unstructured.Unstructured) []named {
	return namedValues(u, "linkState", "status", "interfaces")
}

func namedValues(u *unstructured.Unstructured, key string, path ...string) []named {
	list, _, _ := unstructured.NestedSlice(u.Object, path...)
	var out []named
	for _, item := range list {
		m, _ := item.(map[string]any)
		name, _ := m["name"].(string)
		value, _ := m[key].(string)
		out = append(out, named{name, value})
	}
	return out
}

// fromMap lists expected states sorted by name, to compare with byName's output.
func fromMap(m map[string]string) []named {
	out := make([]named, 0, len(m))
	for k, v := range m {
		out = append(out, named{k, v})
	}
	return byName(out)
}

func byName(states []named) []named {
	return slices.SortedFunc(slices.Values(states), func(a, b named) int { return strings.Compare(a.name, b.name) })
}

// describe renders states as `default=linkUp secondary=""`, in the order given.
func describe(states []named) string {
	parts := make([]string, len(states))
	for i, s := range states {
		v := s.value
		if v == "" {
			v = `""`
		}
		parts[i] = s.name + "=" + v
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, " ")
}
