package policy

import (
	"slices"
	"strings"
)

// Set is the policies in force, in name order (so that among equally strict policies the
// same one always speaks). It is immutable: a changed policy makes a new Set, and a review
// judges with the one Set it started with.
type Set struct {
	policies []*Policy
	scope    scope
	// selectsNamespaces is set when some policy has a namespaceSelector, the only reason
	// to look a namespace's labels up.
	selectsNamespaces bool
}

// NewSet orders policies by name.
func NewSet(policies ...*Policy) *Set {
	s := &Set{policies: slices.Clone(policies)}
	slices.SortFunc(s.policies, func(a, b *Policy) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range s.policies {
		s.selectsNamespaces = s.selectsNamespaces || p.namespaces != nil
	}
	s.scope = newScope(s.policies)
	return s
}

// Len is the number of policies; a nil Set has none.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.policies)
}

// SelectsNamespaces reports whether any policy selects by namespace labels.
func (s *Set) SelectsNamespaces() bool { return s != nil && s.selectsNamespaces }

// Names lists the policies' names, in order.
func (s *Set) Names() []string {
	var names []string
	for _, p := range s.policies {
		names = append(names, p.Name)
	}
	return names
}
