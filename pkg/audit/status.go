package audit

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
)

// MaxOffenders is how many offenders a policy's status lists.
const MaxOffenders = 10

// StatusWriter writes what the scan found into the policies' status.
type StatusWriter interface {
	// WriteStatuses brings every policy's status in line with ix; written holds what was
	// last written in this term, by policy name, and is kept current by the call.
	WriteStatuses(ctx context.Context, ix *Index, written map[string]string) error
}

// PolicyStatuses writes status.violations and status.offenders of every LinkStatePolicy
// in force with a merge patch of the status subresource (the Ready condition, which every
// replica keeps, is left alone).
type PolicyStatuses struct {
	// Client writes LinkStatePolicies (v1alpha1 in its scheme).
	Client client.Client
	// Names are the policies in force (nil while unknown).
	Names func(context.Context) []string
}

// StatusPatch is the merge patch that makes a policy's status say count and first.
func StatusPatch(count int, first []Offender) []byte {
	offenders := make([]v1alpha1.PolicyOffender, len(first))
	for i, o := range first {
		offenders[i] = v1alpha1.PolicyOffender{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Rule: o.Rule}
	}
	patch := map[string]any{"status": map[string]any{"violations": count, "offenders": offenders}}
	if len(offenders) == 0 {
		patch["status"].(map[string]any)["offenders"] = nil // a merge patch removes a field set to null
	}
	raw, _ := json.Marshal(patch) // ints and strings: cannot fail
	return raw
}

// WriteStatuses implements StatusWriter.
func (p *PolicyStatuses) WriteStatuses(ctx context.Context, ix *Index, written map[string]string) error {
	var firstErr error
	for _, name := range p.Names(ctx) {
		patch := StatusPatch(ix.Offenders(name, MaxOffenders))
		if written[name] == string(patch) {
			continue
		}
		obj := &v1alpha1.LinkStatePolicy{}
		obj.Name = name
		err := p.Client.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch))
		switch {
		case err == nil:
			written[name] = string(patch)
		case apierrors.IsNotFound(err):
			delete(written, name) // deleted meanwhile: its results go with the next scan
		case firstErr == nil:
			firstErr = fmt.Errorf("writing the status of LinkStatePolicy %s: %w", name, err)
		}
	}
	return firstErr
}
