package ownertool

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Object is a VM or VMI as this tool reads it: the interfaces and networks the webhook
// reads (decoded by linkstate's partial decoder, so fields of a newer KubeVirt never get in
// the way), and the little metadata the tool prints or guards on.
type Object struct {
	*linkstate.Object
	Target          Target
	ResourceVersion string
	// Node and Phase are a VMI's status.nodeName and status.phase.
	Node, Phase string
	// Controller names the VM that controls a VMI (its controller owner reference), if any.
	Controller string
}

// ReadObject decodes an object the API server returned.
func ReadObject(t Target, u *unstructured.Unstructured) (*Object, error) {
	raw, err := u.MarshalJSON()
	if err != nil {
		return nil, err
	}
	obj, err := t.Decode(raw)
	if err != nil {
		return nil, err
	}
	out := &Object{Object: obj, Target: t, ResourceVersion: u.GetResourceVersion()}
	if t.GroupKind == VMI.GroupKind {
		out.Node, _, _ = unstructured.NestedString(u.Object, "status", "nodeName")
		out.Phase, _, _ = unstructured.NestedString(u.Object, "status", "phase")
		if ref := metav1.GetControllerOfNoCopy(u); ref != nil && ref.Kind == VM.GroupKind.Kind {
			out.Controller = ref.Name
		}
	}
	return out, nil
}

// Interfaces is the object's interface list (for a VM, its template's).
func (o *Object) Interfaces() []v1.Interface { return o.Spec.Domain.Devices.Interfaces }

// findInterface is the index of the only interface named name. Duplicate names are a
// structural error KubeVirt reports; patching one of them by index would be a guess.
func (o *Object) findInterface(name string) (int, error) {
	found := -1
	for i, iface := range o.Interfaces() {
		if iface.Name != name {
			continue
		}
		if found >= 0 {
			return -1, fmt.Errorf("%s has two interfaces named %q: fix the spec first", o.Target.Ref(o.Name), name)
		}
		found = i
	}
	if found < 0 {
		return -1, fmt.Errorf("%s has no interface %q (it has: %s)", o.Target.Ref(o.Name), name, o.interfaceNames())
	}
	return found, nil
}

func (o *Object) interfaceNames() string {
	if len(o.Interfaces()) == 0 {
		return "none"
	}
	s := ""
	for i, iface := range o.Interfaces() {
		if i > 0 {
			s += ", "
		}
		s += iface.Name
	}
	return s
}
