package policy

import (
	"context"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
)

// Source is where a reviewer finds the policies in force and the labels of namespaces:
// informers in the webhook (pkg/policy/cluster), the manifests themselves in `check`
// (Static).
type Source interface {
	// Policies is the Set in force now. An error means it is not known (yet): the request
	// must not be judged without it.
	Policies(ctx context.Context) (*Set, error)
	// NamespaceLabels are a namespace's labels, kubernetes.io/metadata.name included.
	NamespaceLabels(ctx context.Context, namespace string) (labels.Set, error)
}

// Apply is builtin, the built-in rules' findings on r, with the policies of src applied
// (Set.Evaluate); src nil applies none. It looks a namespace's labels up only when some
// policy selects namespaces.
func Apply(ctx context.Context, src Source, r Request, builtin finding.Findings) (finding.Findings, error) {
	if src == nil {
		return builtin, nil
	}
	set, err := src.Policies(ctx)
	if err != nil || set.Len() == 0 {
		return builtin, err
	}
	if set.SelectsNamespaces() {
		ns, err := src.NamespaceLabels(ctx, r.Namespace)
		if err != nil {
			return builtin, err
		}
		r.NamespaceLabels = ns
	}
	return set.Evaluate(r, builtin), nil
}

// AuditAnnotation is the key of the audit annotation that carries a review's audit
// records: the API server's audit log shows it as
// <webhook name>/linkstatepolicy-audit, its value a JSON list of the records.
const AuditAnnotation = "linkstatepolicy-audit"

// AuditAnnotations are the audit annotations for a review's findings, nil when there is
// nothing to record.
func AuditAnnotations(fs finding.Findings) map[string]string {
	records := fs.Audits()
	if len(records) == 0 {
		return nil
	}
	value, _ := json.Marshal(records) // a []string always encodes
	return map[string]string{AuditAnnotation: string(value)}
}

// Static is a Source that never changes: the policies and namespaces found in manifests.
type Static struct {
	Set *Set
	// Namespaces are labels by namespace name; a namespace missing here has only the
	// label the API server gives every namespace, kubernetes.io/metadata.name.
	Namespaces map[string]map[string]string
}

var _ Source = Static{}

func (s Static) Policies(context.Context) (*Set, error) { return s.Set, nil }

func (s Static) NamespaceLabels(_ context.Context, namespace string) (labels.Set, error) {
	return NamespaceLabels(namespace, s.Namespaces[namespace]), nil
}

// NamespaceLabels are a namespace's labels as the API server keeps them: whatever its
// manifest says, kubernetes.io/metadata.name is its name.
func NamespaceLabels(namespace string, own map[string]string) labels.Set {
	out := make(labels.Set, len(own)+1)
	for k, v := range own {
		out[k] = v
	}
	out[corev1.LabelMetadataName] = namespace
	return out
}
