// Package policy applies LinkStatePolicies (api/v1alpha1) on top of the built-in rules, in
// pure functions: Validate checks a policy as the CRD's schema does, Compile turns it into
// a Policy (selectors, allowed states, protected networks, effects), and a Set judges a
// request's changed interfaces with every policy that applies to it, merging their
// findings with the built-in ones — the strictest effect wins. Where policies and
// namespace labels come from (informers in the webhook, manifests in `check`) is a
// Source's business, kept out of here. docs/policy.md is the reference.
package policy
