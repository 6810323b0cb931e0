package ownertool

import (
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// How the tool picks the spelling it writes (see docs/kubectl-linkstate.md):
//
//  1. --dialect, when given.
//  2. The spelling the object already uses on any interface. With the webhook installed,
//     every bridge or masquerade interface is stored with an explicit canonical state
//     (rule D1), so this is nearly always known and costs nothing.
//  3. Otherwise the cluster is asked: the very patch is sent as a server-side dry run in
//     the upstream spelling (KubeVirt's own API values), and the spelling the server
//     stored is read from its answer — with the webhook installed, the mutator has
//     rewritten an alias to the canonical spelling, so the answer names the cluster's
//     dialect. If that dry run is denied with a cause on the state of an interface being
//     changed (a stock or patched KubeVirt that does not know the spelling), the seed
//     spelling is tried the same way. If both are denied, the first denial is the answer:
//     it is not about spelling (an SR-IOV interface, say).
//
// For `get`, which writes nothing, step 3 is replaced by the upstream spelling: reading
// must not need the right to patch.

// SpellingInUse is the dialect whose up/down spelling the interfaces use. It is not known
// (false) when they use none, or both.
func SpellingInUse(ifaces []v1.Interface) (linkstate.Dialect, bool) {
	var found []linkstate.Dialect
	for _, iface := range ifaces {
		for _, d := range linkstate.Spellings {
			if iface.State == d.Up() || iface.State == d.Down() {
				found = appendOnce(found, d)
			}
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

// DisplayDialect is the spelling `get` shows states in: forced when set, else the one the
// objects use (the VM first, then its VMI), else upstream.
func DisplayDialect(forced linkstate.Dialect, objs ...*Object) linkstate.Dialect {
	if forced != "" {
		return forced
	}
	for _, o := range objs {
		if o == nil {
			continue
		}
		if d, ok := SpellingInUse(o.Interfaces()); ok {
			return d
		}
	}
	return linkstate.Upstream
}

// StoredSpelling is the dialect of the states the server stored for the interfaces at
// indexes, read from a (dry-run) patch's answer.
func StoredSpelling(obj *Object, indexes []int) (linkstate.Dialect, bool) {
	var ifaces []v1.Interface
	for _, i := range indexes {
		if i < len(obj.Interfaces()) {
			ifaces = append(ifaces, obj.Interfaces()[i])
		}
	}
	return SpellingInUse(ifaces)
}

// DeniedForSpelling reports whether err is a denial with a cause on the state of one of the
// interfaces at indexes: how a cluster that does not know a spelling answers.
func DeniedForSpelling(err error, k linkstate.Kind, indexes []int) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || !apierrors.IsInvalid(err) {
		return false
	}
	details := status.Status().Details
	if details == nil {
		return false
	}
	fields := map[string]bool{}
	for _, i := range indexes {
		fields[StatePath(k, i).String()] = true
	}
	for _, c := range details.Causes {
		if fields[c.Field] {
			return true
		}
	}
	return false
}

// StatePath is the field path of interfaces[i].state, as denials name it.
func StatePath(k linkstate.Kind, i int) *field.Path {
	return k.SpecPath.Child("domain", "devices", "interfaces").Index(i).Child("state")
}

func appendOnce[T comparable](list []T, v T) []T {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
