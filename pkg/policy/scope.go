package policy

import (
	"k8s.io/apimachinery/pkg/labels"
)

// scope finds the policies of a Set that apply to a request. Policies of one cluster often
// share selectors (tenant=true) and exempt the same requesters, so the Set indexes both:
// a request looks its user and groups up once, and evaluates each distinct selector once,
// instead of once per policy. With a hundred policies that is most of their cost.
type scope struct {
	// namespaceSelectors and objectSelectors are the distinct selectors, by their String();
	// namespaces and objects give each policy's, -1 for none (everything).
	namespaceSelectors, objectSelectors []labels.Selector
	namespaces, objects                 []int
	// users and groups name, for each exempt requester, the policies exempting it.
	users, groups map[string][]int
}

func newScope(policies []*Policy) scope {
	sc := scope{users: map[string][]int{}, groups: map[string][]int{}}
	nsIndex, objIndex := map[string]int{}, map[string]int{}
	for i, p := range policies {
		sc.namespaces = append(sc.namespaces, intern(&sc.namespaceSelectors, nsIndex, p.namespaces))
		sc.objects = append(sc.objects, intern(&sc.objectSelectors, objIndex, p.objects))
		for u := range p.users {
			sc.users[u] = append(sc.users[u], i)
		}
		for g := range p.groups {
			sc.groups[g] = append(sc.groups[g], i)
		}
	}
	return sc
}

// intern returns sel's place in *distinct, adding it if it is new; -1 for nil.
func intern(distinct *[]labels.Selector, index map[string]int, sel labels.Selector) int {
	if sel == nil {
		return -1
	}
	key := sel.String()
	if i, ok := index[key]; ok {
		return i
	}
	index[key] = len(*distinct)
	*distinct = append(*distinct, sel)
	return index[key]
}

// verdicts memoises each distinct selector's answer for one set of labels.
type verdicts struct {
	selectors []labels.Selector
	labels    labels.Labels
	memo      []int8 // 0 not asked yet, 1 matches, -1 does not
}

func newVerdicts(selectors []labels.Selector, l labels.Labels, buf []int8) verdicts {
	if len(selectors) <= cap(buf) {
		buf = buf[:len(selectors)]
	} else {
		buf = make([]int8, len(selectors))
	}
	return verdicts{selectors: selectors, labels: l, memo: buf}
}

func (v *verdicts) matches(i int) bool {
	if v.memo[i] == 0 {
		v.memo[i] = -1
		if v.selectors[i].Matches(v.labels) {
			v.memo[i] = 1
		}
	}
	return v.memo[i] == 1
}

// matching appends to dst the policies of s that apply to r: the requester is not exempt,
// and the namespace and the object are selected. On update the object is selected by its
// old or its new labels, as the API server selects for a webhook's objectSelector: a
// tenant cannot leave a policy's scope by removing the label in the very update the
// policy would refuse.
func (s *Set) matching(dst []*Policy, r *Request) []*Policy {
	var exemptBuf [128]bool
	exempt := exemptBuf[:0]
	if n := len(s.policies); n <= len(exemptBuf) {
		exempt = exemptBuf[:n]
	} else {
		exempt = make([]bool, n)
	}
	for _, i := range s.scope.users[r.User] {
		exempt[i] = true
	}
	for _, g := range r.Groups {
		for _, i := range s.scope.groups[g] {
			exempt[i] = true
		}
	}
	var nsBuf, objBuf, oldBuf [128]int8
	namespaces := newVerdicts(s.scope.namespaceSelectors, namespaceLabels(r), nsBuf[:0])
	objects := newVerdicts(s.scope.objectSelectors, labels.Set(r.Object.Labels), objBuf[:0])
	var old verdicts
	if r.Old != nil {
		old = newVerdicts(s.scope.objectSelectors, labels.Set(r.Old.Labels), oldBuf[:0])
	}
	for i, p := range s.policies {
		if exempt[i] {
			continue
		}
		if j := s.scope.namespaces[i]; j >= 0 && !namespaces.matches(j) {
			continue
		}
		if j := s.scope.objects[i]; j >= 0 && !objects.matches(j) && (r.Old == nil || !old.matches(j)) {
			continue
		}
		dst = append(dst, p)
	}
	return dst
}

func namespaceLabels(r *Request) labels.Labels {
	if r.NamespaceLabels == nil {
		return labels.Set(nil)
	}
	return r.NamespaceLabels
}
