package policy

import (
	"k8s.io/apimachinery/pkg/labels"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Request is what policies are matched against and judge: a VM or VMI being created
// (Old nil) or updated, where, and by whom.
type Request struct {
	Object, Old *linkstate.Object
	// Namespace is the request's namespace; a networkName without one resolves there.
	Namespace string
	// NamespaceLabels are the labels of Namespace, for namespaceSelector.
	NamespaceLabels labels.Labels
	// User and Groups are the requester, as the API server authenticated them.
	User   string
	Groups []string
	// Dialect reads the states.
	Dialect linkstate.Dialect
}
