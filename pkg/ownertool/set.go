package ownertool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// SetRequest is one `set` or `unplug`.
type SetRequest struct {
	Target          Target
	Namespace, Name string
	Assignments     []Assignment
	// Dialect forces the spelling written (--dialect); empty chooses (see spelling.go).
	Dialect linkstate.Dialect
	// DryRun sends the patch as a server-side dry run: judged, mutated, not stored.
	DryRun bool
	// Confirm, if set, is called with the object read before anything is sent; an error
	// stops the request (unplug asks the user there).
	Confirm func(*Object) error
}

// SetResult is what a patch did.
type SetResult struct {
	Before, After *Object
	// Changes hold the states as stored (or, for a dry run, as they would be).
	Changes []Change
	Dialect linkstate.Dialect
	// DialectSource says how Dialect was chosen, for --v and the docs: flag, object,
	// dry-run, or none (no spelling needed: unplug).
	DialectSource string
	// Unchanged is set when the server stored nothing new (every state already so).
	Unchanged bool
}

// InterfacesChangedError is returned when the interface list changed between reading the
// object and patching it: a test op failed and the API server applied nothing.
type InterfacesChangedError struct {
	Ref string
	Err error
}

func (e *InterfacesChangedError) Error() string {
	return fmt.Sprintf("the interfaces of %s changed while this command ran (an interface was reordered, added or "+
		"removed), so nothing was changed: run the command again to patch the interfaces by their new positions", e.Ref)
}

func (e *InterfacesChangedError) Unwrap() error { return e.Err }

// ControlledVMIError refuses to patch a VMI that a VM controls: KubeVirt's VM controller
// copies the VM's interface states into its VMI and would undo the change.
type ControlledVMIError struct{ VMI, VM string }

func (e *ControlledVMIError) Error() string {
	return fmt.Sprintf("vmi/%s is controlled by vm/%s, whose controller would undo a change made on the VMI: "+
		"set it on the VM instead (kubectl linkstate set vm %s ...)", e.VMI, e.VM, e.VM)
}

// Set reads the object, chooses the spelling, and sends one JSON patch.
func (c *Client) Set(ctx context.Context, req SetRequest) (*SetResult, error) {
	obj, err := c.Get(ctx, req.Target, req.Namespace, req.Name)
	if err != nil {
		return nil, err
	}
	if obj.Controller != "" {
		return nil, &ControlledVMIError{VMI: obj.Name, VM: obj.Controller}
	}
	// Validate every name before asking anything of the user or the cluster.
	if _, _, err := BuildPatch(obj, req.Assignments, linkstate.Seed); err != nil {
		return nil, err
	}
	if req.Confirm != nil {
		if err := req.Confirm(obj); err != nil {
			return nil, err
		}
	}
	d, source, err := c.chooseDialect(ctx, obj, req)
	if err != nil {
		return nil, err
	}
	ops, changes, err := BuildPatch(obj, req.Assignments, d)
	if err != nil {
		return nil, err
	}
	after, err := c.patch(ctx, c.Dynamic, obj, ops, req.DryRun)
	if err != nil {
		return nil, err
	}
	return &SetResult{
		Before: obj, After: after, Changes: Stored(after, changes),
		Dialect: d, DialectSource: source,
		Unchanged: !req.DryRun && after.ResourceVersion == obj.ResourceVersion,
	}, nil
}

// chooseDialect picks the spelling to write; see the comment at the top of spelling.go.
func (c *Client) chooseDialect(ctx context.Context, obj *Object, req SetRequest) (linkstate.Dialect, string, error) {
	if req.Dialect != "" {
		return req.Dialect, "flag", nil
	}
	needsSpelling := false
	for _, a := range req.Assignments {
		needsSpelling = needsSpelling || a.Meaning == linkstate.MeaningUp || a.Meaning == linkstate.MeaningDown
	}
	if !needsSpelling {
		return linkstate.Upstream, "none", nil // absent is spelled alike in both
	}
	if d, ok := SpellingInUse(obj.Interfaces()); ok {
		return d, "object", nil
	}
	quiet := c.Quiet
	if quiet == nil {
		quiet = c.Dynamic
	}
	var firstErr error
	for _, d := range []linkstate.Dialect{linkstate.Upstream, linkstate.Seed} {
		ops, changes, err := BuildPatch(obj, req.Assignments, d)
		if err != nil {
			return "", "", err
		}
		answer, err := c.patch(ctx, quiet, obj, ops, true)
		if err == nil {
			if stored, ok := StoredSpelling(answer, Indexes(changes)); ok {
				return stored, "dry-run", nil
			}
			return d, "dry-run", nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if !DeniedForSpelling(err, obj.Target.Kind, Indexes(changes)) {
			break
		}
	}
	return "", "", firstErr
}

// patch sends a JSON patch and reads the object the server answered with.
func (c *Client) patch(ctx context.Context, client dynamic.Interface, obj *Object, ops any, dryRun bool) (*Object, error) {
	data, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	opts := metav1.PatchOptions{FieldManager: "kubectl-linkstate"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	u, err := client.Resource(obj.Target.Resource).Namespace(obj.Namespace).Patch(ctx, obj.Name, types.JSONPatchType, data, opts)
	if err != nil {
		if failedTest(err) {
			return nil, &InterfacesChangedError{Ref: obj.Target.Ref(obj.Name), Err: err}
		}
		return nil, err
	}
	return ReadObject(obj.Target, u)
}

// failedTest recognises the API server's answer to a JSON patch it could not apply: a bare
// 422 with no causes and no object named (handlers/patch.go answers so without passing on
// the patch library's message). The patch only tests names and then sets states at the
// tested positions, so the only way to get there is a failed test: the interface list is
// not what it was when the patch was built. A webhook's or validator's 422 always names
// the object and carries causes.
func failedTest(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	s := status.Status()
	if s.Code != http.StatusUnprocessableEntity || s.Reason != metav1.StatusReasonInvalid {
		return false
	}
	return s.Details == nil || (len(s.Details.Causes) == 0 && s.Details.Name == "" && s.Details.Kind == "")
}
