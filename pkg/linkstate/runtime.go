package linkstate

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	v1 "kubevirt.io/api/core/v1"
)

// An Object is a runtime.Object so that it can ride in runtime.RawExtension.Object, the
// place Kubernetes keeps the decoded form of raw bytes: a caller that holds an object
// already decoded (the offline check, which decodes each manifest once and applies the
// mutation to the decoded object) hands it to the reviewers with its request, and they
// do not decode the bytes again (see review.Object).
var _ runtime.Object = (*Object)(nil)

// GetObjectKind implements runtime.Object: an Object carries no apiVersion and kind of
// its own (Kind says which it is).
func (o *Object) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject implements runtime.Object.
func (o *Object) DeepCopyObject() runtime.Object { return o.DeepCopy() }

// DeepCopy copies o, sharing nothing with it.
func (o *Object) DeepCopy() *Object {
	if o == nil {
		return nil
	}
	c := *o
	o.Spec.DeepCopyInto(&c.Spec)
	if o.Status != nil {
		c.Status = make([]v1.VirtualMachineInstanceNetworkInterface, len(o.Status))
		for i := range o.Status {
			o.Status[i].DeepCopyInto(&c.Status[i])
		}
	}
	return &c
}
