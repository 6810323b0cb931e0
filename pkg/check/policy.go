package check

import (
	"fmt"

	gomodjsonpatch "gomodules.xyz/jsonpatch/v2"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "sigs.k8s.io/json"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
)

// Options are what a check needs besides the rules' settings: who applies the manifests
// and where, for the LinkStatePolicies among them.
type Options struct {
	// Policies are documents read with --policy: LinkStatePolicies and Namespaces, applied
	// like those found among the manifests.
	Policies []Document
	// User and Groups are the requester, as the API server would authenticate them (--as,
	// --as-group): policies do not apply to the users and groups they exempt.
	User   string
	Groups []string
	// Namespace is where a manifest without metadata.namespace is judged (-n), as
	// `kubectl apply -n` would create it; empty means "default".
	Namespace string
}

// Report is everything a check found.
type Report struct {
	// Results are the verdicts on every VM, VMI, VMIM and LinkStatePolicy, in input order
	// (--policy documents first).
	Results []Result
	// Namespaces are the Namespace documents whose labels the policies saw.
	Namespaces []Document
	// Skipped are the documents of other kinds.
	Skipped []Document
}

var namespaceGVK = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}

func isPolicy(gvk schema.GroupVersionKind) bool {
	return gvk == v1alpha1.GroupVersion.WithKind(v1alpha1.Kind)
}

// PolicyOrNamespace reports whether --policy may hold d.
func PolicyOrNamespace(d Document) bool {
	gvk := d.GroupVersionKind()
	return isPolicy(gvk) || gvk == namespaceGVK
}

// policies are the LinkStatePolicies and Namespaces of a check's input.
type policies struct {
	source policy.Static
	// docs are the documents added, in order, and results their verdicts (a policy's own
	// result: would the API server admit it, and would the webhook apply it; nothing for a
	// Namespace).
	docs     []Document
	results  []Result
	compiled []*policy.Policy
}

func newPolicies() *policies {
	return &policies{source: policy.Static{Namespaces: map[string]map[string]string{}, Set: policy.NewSet()}}
}

// add reads d, a LinkStatePolicy or a Namespace. A LinkStatePolicy is compiled as the
// cluster would: one the API server would refuse is a denied result and applies to
// nothing, as it could not be written; one it would admit but the webhook cannot apply
// (Ready False) is admitted with a warning and applies to nothing either.
func (ps *policies) add(d Document) {
	ps.docs = append(ps.docs, d)
	if d.GroupVersionKind() == namespaceGVK {
		ps.source.Namespaces[d.Name] = d.labels()
		ps.results = append(ps.results, Result{})
		return
	}
	res := Result{Kind: v1alpha1.Kind, Name: d.Name, source: d.Source, Causes: []Cause{}, Warnings: []string{}, Patch: []gomodjsonpatch.Operation{}}
	p := &v1alpha1.LinkStatePolicy{}
	// Strict, as kubectl asks the API server to be: a misspelt field is an error, not
	// a rule silently missing.
	strict, err := utiljson.UnmarshalStrict(d.Raw, p)
	switch {
	case err != nil:
		res.Causes = append(res.Causes, Cause{Message: "cannot be read as a LinkStatePolicy: " + err.Error()})
	case len(strict) > 0:
		for _, e := range strict {
			res.Causes = append(res.Causes, Cause{Message: e.Error()})
		}
	}
	for _, e := range policy.Validate(p) {
		res.Causes = append(res.Causes, Cause{Field: e.Field, Message: e.ErrorBody()})
	}
	if len(res.Causes) == 0 {
		res.Allowed = true
		if c, err := policy.Compile(p); err != nil {
			res.Warnings = append(res.Warnings, "not applied (its Ready condition would say so): "+err.Error())
		} else {
			ps.compiled = append(ps.compiled, c)
			ps.source.Set = policy.NewSet(ps.compiled...)
		}
	}
	ps.results = append(ps.results, res)
}

// notes say where a verdict may differ from the cluster's for want of input: a policy
// selecting namespaces, and a namespace not among the manifests, whose labels are then
// unknown but for the name label.
func (ps *policies) notes(namespace string) []string {
	if !ps.source.Set.SelectsNamespaces() {
		return nil
	}
	if _, ok := ps.source.Namespaces[namespace]; ok {
		return nil
	}
	return []string{fmt.Sprintf("namespace %q is not in the input: judged with its name label only "+
		"(kubernetes.io/metadata.name=%s); policies that select namespaces by other labels may apply in the cluster "+
		"(add the Namespace, e.g. kubectl get namespace %s -o yaml)", namespace, namespace, namespace)}
}

// labels reads a Namespace document's labels.
func (d Document) labels() map[string]string {
	var ns struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := utiljson.UnmarshalCaseSensitivePreserveInts(d.Raw, &ns); err != nil {
		return nil // Parse read it already: it is an object with a kind
	}
	return ns.Metadata.Labels
}
