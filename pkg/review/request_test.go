package review

import (
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// A request whose object a caller decoded already (RawExtension.Object) is judged on that
// object; of another kind, or absent, the raw JSON is decoded.
func TestObjectUsesTheDecodedObject(t *testing.T) {
	raw := []byte(`{"metadata":{"name":"from-json"},"spec":{"domain":{"devices":{"interfaces":[{"name":"a"}]}}}}`)
	req := func(object any) admission.Request {
		r := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			Kind:      metav1.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachineInstance"},
			Operation: admissionv1.Update,
		}}
		r.Object.Raw, r.OldObject.Raw = raw, raw
		if o, ok := object.(*linkstate.Object); ok {
			r.Object.Object, r.OldObject.Object = o, o
		}
		return r
	}
	decoded := &linkstate.Object{Kind: linkstate.VirtualMachineInstance, Name: "decoded"}
	ofAnotherKind := &linkstate.Object{Kind: linkstate.VirtualMachine, Name: "a VM"}
	for object, want := range map[*linkstate.Object]string{decoded: "decoded", ofAnotherKind: "from-json", nil: "from-json"} {
		obj, old, _, done := Objects(linkstate.VirtualMachineInstance, req(object))
		if done || obj.Name != want || old.Name != want {
			t.Errorf("with %v: object %q, old %q, done %v; want %q", object, obj.Name, old.Name, done, want)
		}
	}
}
