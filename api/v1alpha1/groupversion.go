package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of LinkStatePolicy.
var GroupVersion = schema.GroupVersion{Group: "linkstate.kubevirt.io", Version: "v1alpha1"}

// Kind is LinkStatePolicy's kind, as manifests name it.
const Kind = "LinkStatePolicy"

var (
	// SchemeBuilder registers the types of this version.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds the types of this version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &LinkStatePolicy{}, &LinkStatePolicyList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
