package check

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"

	jsonpatch "github.com/evanphx/json-patch/v5"
	gomodjsonpatch "gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// Result is the verdict on one VM or VMI. Causes and Warnings come from validating the
// mutated object; Warnings also carry the mutation's own.
type Result struct {
	Kind      string                     `json:"kind"`
	Namespace string                     `json:"namespace"`
	Name      string                     `json:"name"`
	Allowed   bool                       `json:"allowed"`
	Causes    []Cause                    `json:"causes"`
	Warnings  []string                   `json:"warnings"`
	Patch     []gomodjsonpatch.Operation `json:"patch"`
	// Audit are the records of Audit-mode LinkStatePolicies: what they would have done.
	Audit []string `json:"audit,omitempty"`
	// Notes say where the verdict may differ from the cluster's for want of input.
	Notes  []string `json:"notes,omitempty"`
	source string
}

// Cause is one reason for a denial, as kubectl would print it.
type Cause struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Run is RunWith for an anonymous requester in namespace default, reporting the Namespace
// documents the policies saw among the skipped ones.
func Run(docs []Document, cfg linkstate.Config) (results []Result, skipped []Document) {
	r := RunWith(docs, cfg, Options{})
	return r.Results, append(r.Namespaces, r.Skipped...)
}

// RunWith judges every VM, VMI and VMIM among docs, in order, as the webhook would with the
// LinkStatePolicies and Namespaces found among opts.Policies and docs (and reports on each
// policy whether the API server would admit it); other kinds come back as skipped. A
// migration is stamped from the VMI of the same namespace and name found among docs, as
// the VMI would be stored (mutated).
func RunWith(docs []Document, cfg linkstate.Config, opts Options) Report {
	c := &collected{}
	j := newJudge(cfg, opts, c)
	// Policies and Namespaces apply to every document, those before them too.
	j.seed(opts.Policies)
	j.seed(docs)
	for _, d := range opts.Policies {
		j.document(d)
	}
	for _, d := range docs {
		j.document(d)
	}
	j.finish()
	return c.report
}

// kindOf accepts both versions KubeVirt serves; they share one schema.
func kindOf(gvk schema.GroupVersionKind) (linkstate.Kind, bool) {
	for _, k := range []linkstate.Kind{linkstate.VirtualMachine, linkstate.VirtualMachineInstance} {
		if gvk.GroupKind() == k.GroupKind && servedVersion(gvk.Version) {
			return k, true
		}
	}
	return linkstate.Kind{}, false
}

func isMigration(gvk schema.GroupVersionKind) bool {
	return gvk.GroupKind() == migration.Kind && servedVersion(gvk.Version)
}

func servedVersion(v string) bool { return v == "v1" || v == "v1alpha3" }

func request(gk schema.GroupKind, d Document) admission.Request {
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Kind:      metav1.GroupVersionKind{Group: gk.Group, Version: "v1", Kind: gk.Kind},
		Operation: admissionv1.Create,
		Namespace: d.Namespace,
		Name:      d.Name,
	}}
	req.Object.Raw = d.Raw
	return req
}

// request is the create the API server would send for d, applied by the requester of
// opts into its namespace.
func (opts Options) request(gk schema.GroupKind, d Document) admission.Request {
	req := request(gk, d)
	if req.Namespace == "" {
		req.Namespace = cmp.Or(opts.Namespace, metav1.NamespaceDefault)
	}
	req.UserInfo = authenticationv1.UserInfo{Username: opts.User, Groups: opts.Groups}
	return req
}

func newResult(gk schema.GroupKind, d Document) Result {
	return Result{Kind: gk.Kind, Namespace: d.Namespace, Name: d.Name, source: d.Source,
		Causes: []Cause{}, Warnings: []string{}, Patch: []gomodjsonpatch.Operation{}}
}

// decide runs the real reviewers on req, as the API server would call them on create, on
// the document's JSON: what migrations go through (VMs and VMIs take judge.object's way).
func decide(gk schema.GroupKind, d Document, req admission.Request, mutator, validator review.Reviewer) Result {
	res := newResult(gk, d)
	ctx := context.Background()

	mutated := mutator.Review(ctx, req)
	res.Warnings = append(res.Warnings, mutated.Warnings...)
	if !mutated.Allowed {
		return denied(res, mutated)
	}
	if len(mutated.Patches) > 0 {
		res.Patch = mutated.Patches
		raw, err := applyPatch(d.Raw, mutated.Patches)
		if err != nil {
			res.Causes = append(res.Causes, Cause{Message: err.Error()})
			return res
		}
		req.Object.Raw = raw
	}
	validated := validator.Review(ctx, req)
	res.Warnings = append(res.Warnings, validated.Warnings...)
	res.Audit = validated.Findings.Audits()
	if !validated.Allowed {
		return denied(res, validated)
	}
	res.Allowed = true
	return res
}

func denied(res Result, resp review.Verdict) Result {
	if resp.Result != nil && resp.Result.Details != nil && len(resp.Result.Details.Causes) > 0 {
		for _, c := range resp.Result.Details.Causes {
			res.Causes = append(res.Causes, Cause{Field: c.Field, Message: c.Message})
		}
		return res
	}
	msg := "denied"
	if resp.Result != nil && resp.Result.Message != "" {
		msg = resp.Result.Message
	}
	res.Causes = append(res.Causes, Cause{Message: msg})
	return res
}

func applyPatch(raw []byte, ops []gomodjsonpatch.Operation) ([]byte, error) {
	encoded, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	p, err := jsonpatch.DecodePatch(encoded)
	if err != nil {
		return nil, fmt.Errorf("decoding the mutation's patch: %w", err)
	}
	out, err := p.Apply(raw)
	if err != nil {
		return nil, fmt.Errorf("applying the mutation's patch: %w", err)
	}
	return out, nil
}
