// Package check runs the webhook's own handlers offline on manifests — mutation, then
// validation of the mutated object, with create semantics — for GitOps pipelines and
// pre-commit hooks. It reads YAML (multi-document) and JSON, and kubectl's List wrapper.
// LinkStatePolicies and Namespaces among the manifests apply as in the cluster (policy.go).
package check
