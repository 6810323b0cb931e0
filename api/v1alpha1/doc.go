// Package v1alpha1 is the linkstate.kubevirt.io/v1alpha1 API: LinkStatePolicy, the rules a
// cluster operator adds, per tenant, on top of the webhook's built-in ones (docs/policy.md).
// The CRD in config/crd and the chart is generated from these types by controller-gen
// (`make generate`); TestGeneratedFilesAreCurrent fails when they drift apart.
//
// +kubebuilder:object:generate=true
// +groupName=linkstate.kubevirt.io
package v1alpha1
