package check

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/mutate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// verdicts is where a judge puts what it decides, in input order: a migration's verdict
// waits for the end of the input (its VMI may come after it), in a place reserved for it.
type verdicts interface {
	result(r Result)
	reserve() (slot int)
	fill(slot int, r Result)
	namespace(d Document)
	skipped(d Document)
}

// judge decides documents one at a time, as they are read, and keeps only what is still
// to decide: the migrations, and for them the VMIs seen so far as they would be stored;
// and the LinkStatePolicies and Namespaces, which are small and few.
//
// Policies and Namespaces apply to every document of the input, those read before them
// too. A judge knows those it was seeded with from the start; one it meets only after it
// has judged a VM or VMI makes it stale: the verdicts so far did not see it, and the input
// must be judged again by a judge seeded with seen().
type judge struct {
	out       verdicts
	rules     linkstate.Source
	opts      Options
	policies  *policies
	reviewers map[schema.GroupKind][2]review.Reviewer // mutator, validator
	vmis      migration.VMISet
	deferred  []deferredMigration
	met       int  // LinkStatePolicies and Namespaces met by document, the first of policies.docs
	judged    bool // a VM or VMI has been judged
	stale     bool
}

type deferredMigration struct {
	slot int
	doc  Document
}

func newJudge(cfg linkstate.Config, opts Options, out verdicts) *judge {
	rules := linkstate.Static(cfg)
	j := &judge{out: out, rules: rules, opts: opts, policies: newPolicies(), vmis: migration.VMISet{}, reviewers: map[schema.GroupKind][2]review.Reviewer{}}
	for _, k := range []linkstate.Kind{linkstate.VirtualMachine, linkstate.VirtualMachineInstance} {
		// The validator reads the policies through a pointer: those met later apply too.
		j.reviewers[k.GroupKind] = [2]review.Reviewer{&mutate.Reviewer{Kind: k, Rules: rules},
			&validate.Reviewer{Kind: k, Rules: rules, Policies: &j.policies.source}}
	}
	return j
}

// seed makes the LinkStatePolicies and Namespaces among docs known before anything is
// judged; the others are left for document.
func (j *judge) seed(docs []Document) {
	for _, d := range docs {
		if PolicyOrNamespace(d) {
			j.policies.add(d)
		}
	}
}

// seen are the LinkStatePolicy and Namespace documents the judge knows, to seed the next.
func (j *judge) seen() []Document { return j.policies.docs }

// document judges one document, or puts it aside until finish.
func (j *judge) document(d Document) {
	gvk := d.GroupVersionKind()
	switch k, ok := kindOf(gvk); {
	case ok:
		j.judged = true
		j.out.result(j.object(k, d))
	case isMigration(gvk):
		j.deferred = append(j.deferred, deferredMigration{slot: j.out.reserve(), doc: d})
	case isPolicy(gvk), gvk == namespaceGVK:
		j.policyOrNamespace(d)
	default:
		j.out.skipped(d)
	}
}

// policyOrNamespace reports a LinkStatePolicy's verdict, or a Namespace as used. The
// documents come in the order the judge was seeded with them (the seeds are the same
// documents, read before), so the one met is the next seeded one; past the seeds, it is
// new, and makes the verdicts so far stale if any VM or VMI was judged without it.
func (j *judge) policyOrNamespace(d Document) {
	if j.met == len(j.policies.docs) {
		j.policies.add(d)
		j.stale = j.stale || j.judged
	}
	res := j.policies.results[j.met]
	j.met++
	if isPolicy(d.GroupVersionKind()) {
		j.out.result(res)
	} else {
		j.out.namespace(d)
	}
}

// finish judges the migrations, now that every VMI of the input is known. Offline, stamps
// are not signed: the validating reviewer compares each with the VMI in the input, which
// cannot change between the two calls.
func (j *judge) finish() {
	opts := migration.Options{VMIs: j.vmis, LookupTimeout: migration.DefaultLookupTimeout, LookupFailure: linkstate.ActionWarn}
	mutator, validator := &migration.Mutator{Rules: j.rules, Options: opts}, &migration.Validator{Rules: j.rules, Options: opts}
	for _, m := range j.deferred {
		j.out.fill(m.slot, decide(migration.Kind, m.doc, j.opts.request(migration.Kind, m.doc), mutator, validator))
	}
	j.deferred = nil
}

// object judges a VM or VMI as the API server would on create: the mutating reviewer, then
// the validating one on the mutated object. The manifest is decoded once; the mutation is
// applied to the decoded object (mutatedObject) and handed to the validator with the
// request (review.Object reads it from there). A VMI is remembered as stored, mutated,
// for the migrations.
func (j *judge) object(k linkstate.Kind, d Document) Result {
	res := newResult(k.GroupKind, d)
	req := j.opts.request(k.GroupKind, d)
	res.Notes = j.policies.notes(req.Namespace)
	obj, err := k.Decode(d.Raw)
	if err == nil {
		req.Object.Object = obj
	} // else the reviewers decode the JSON themselves, and say what is wrong with it
	ctx := context.Background()
	reviewers := j.reviewers[k.GroupKind]

	mutation := reviewers[0].Review(ctx, req)
	stored := obj
	if mutation.Allowed && len(mutation.Patches) > 0 {
		res.Patch = mutation.Patches
		if m, ok := mutatedObject(obj, mutation.Patches); obj != nil && ok {
			req.Object.Object, stored = m, m
		} else {
			raw, err := applyPatch(d.Raw, mutation.Patches)
			if err != nil {
				res.Causes = append(res.Causes, Cause{Message: err.Error()})
				j.remember(k, stored)
				return res
			}
			req.Object.Raw, req.Object.Object = raw, nil
			stored, _ = k.Decode(raw)
		}
	}
	j.remember(k, stored)
	res.Warnings = append(res.Warnings, mutation.Warnings...)
	if !mutation.Allowed {
		return denied(res, mutation)
	}
	validation := reviewers[1].Review(ctx, req)
	res.Warnings = append(res.Warnings, validation.Warnings...)
	res.Audit = validation.Findings.Audits()
	if !validation.Allowed {
		return denied(res, validation)
	}
	res.Allowed = true
	return res
}

// remember keeps what a migration's stamp reads of a stored VMI: the names and states of
// its interfaces, and what its status reports.
func (j *judge) remember(k linkstate.Kind, vmi *linkstate.Object) {
	if vmi == nil || k.GroupKind != linkstate.VirtualMachineInstance.GroupKind {
		return
	}
	kept := &linkstate.Object{Kind: vmi.Kind, Namespace: vmi.Namespace, Name: vmi.Name}
	for _, iface := range vmi.Spec.Domain.Devices.Interfaces {
		kept.Spec.Domain.Devices.Interfaces = append(kept.Spec.Domain.Devices.Interfaces, v1.Interface{Name: iface.Name, State: iface.State})
	}
	for _, s := range vmi.Status {
		kept.Status = append(kept.Status, v1.VirtualMachineInstanceNetworkInterface{Name: s.Name, LinkState: s.LinkState})
	}
	j.vmis.Add(kept)
}

// collected keeps verdicts in memory, for RunWith.
type collected struct{ report Report }

func (c *collected) result(r Result)         { c.report.Results = append(c.report.Results, r) }
func (c *collected) fill(slot int, r Result) { c.report.Results[slot] = r }
func (c *collected) namespace(d Document)    { c.report.Namespaces = append(c.report.Namespaces, d) }
func (c *collected) skipped(d Document)      { c.report.Skipped = append(c.report.Skipped, d) }
func (c *collected) reserve() int {
	c.report.Results = append(c.report.Results, Result{})
	return len(c.report.Results) - 1
}
