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
	skipped(d Document)
}

// judge decides documents one at a time, as they are read, and keeps only what is still
// to decide: the migrations, and for them the VMIs seen so far as they would be stored.
type judge struct {
	out       verdicts
	rules     linkstate.Source
	reviewers map[schema.GroupKind][2]review.Reviewer // mutator, validator
	vmis      migration.VMISet
	deferred  []deferredMigration
}

type deferredMigration struct {
	slot int
	doc  Document
}

func newJudge(cfg linkstate.Config, out verdicts) *judge {
	rules := linkstate.Static(cfg)
	j := &judge{out: out, rules: rules, vmis: migration.VMISet{}, reviewers: map[schema.GroupKind][2]review.Reviewer{}}
	for _, k := range []linkstate.Kind{linkstate.VirtualMachine, linkstate.VirtualMachineInstance} {
		j.reviewers[k.GroupKind] = [2]review.Reviewer{&mutate.Reviewer{Kind: k, Rules: rules}, &validate.Reviewer{Kind: k, Rules: rules}}
	}
	return j
}

// document judges one document, or puts it aside until finish.
func (j *judge) document(d Document) {
	gvk := d.GroupVersionKind()
	switch k, ok := kindOf(gvk); {
	case ok:
		j.out.result(j.object(k, d))
	case isMigration(gvk):
		j.deferred = append(j.deferred, deferredMigration{slot: j.out.reserve(), doc: d})
	default:
		j.out.skipped(d)
	}
}

// finish judges the migrations, now that every VMI of the input is known. Offline, stamps
// are not signed: the validating reviewer compares each with the VMI in the input, which
// cannot change between the two calls.
func (j *judge) finish() {
	opts := migration.Options{VMIs: j.vmis, LookupTimeout: migration.DefaultLookupTimeout, LookupFailure: linkstate.ActionWarn}
	mutator, validator := &migration.Mutator{Rules: j.rules, Options: opts}, &migration.Validator{Rules: j.rules, Options: opts}
	for _, m := range j.deferred {
		j.out.fill(m.slot, decide(migration.Kind, m.doc, mutator, validator))
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
	req := request(k.GroupKind, d)
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

// collected keeps verdicts in memory, for Run.
type collected struct {
	results []Result
	skips   []Document
}

func (c *collected) result(r Result)         { c.results = append(c.results, r) }
func (c *collected) fill(slot int, r Result) { c.results[slot] = r }
func (c *collected) skipped(d Document)      { c.skips = append(c.skips, d) }
func (c *collected) reserve() int {
	c.results = append(c.results, Result{})
	return len(c.results) - 1
}
