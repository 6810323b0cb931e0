package migration

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// VMIGetter reads the VMI a migration names. A missing VMI is an error for which
// apierrors.IsNotFound is true.
type VMIGetter interface {
	GetVMI(ctx context.Context, namespace, name string) (*linkstate.Object, error)
}

// APIVMIGetter reads VMIs straight from the API server, one GET per read, with no cache.
// Migrations are rare next to VMI updates: an informer would hold every VMI of the cluster
// in memory and decode every status write virt-handler makes, to serve a lookup that
// happens a few times per node drain.
type APIVMIGetter struct {
	// Reader should be uncached (a manager's GetAPIReader).
	Reader client.Reader
}

// GetVMI implements VMIGetter. The VMI is read as unstructured JSON and decoded with the
// same partial decoder as admission requests, so fields of a newer KubeVirt cannot break it.
func (g APIVMIGetter) GetVMI(ctx context.Context, namespace, name string) (*linkstate.Object, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(v1.VirtualMachineInstanceGroupVersionKind)
	if err := g.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
		return nil, err
	}
	raw, err := u.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("re-encoding VMI %s/%s: %w", namespace, name, err)
	}
	return linkstate.VirtualMachineInstance.Decode(raw)
}

// VMISet is a VMIGetter over VMIs already in hand, keyed by namespace/name: `check` uses
// it for the VMIs found among the manifests it reads.
type VMISet map[string]*linkstate.Object

// Add records a VMI under its namespace and name.
func (s VMISet) Add(vmi *linkstate.Object) { s[vmi.Namespace+"/"+vmi.Name] = vmi }

// GetVMI implements VMIGetter: a VMI not in the set is NotFound, as from the API server.
func (s VMISet) GetVMI(_ context.Context, namespace, name string) (*linkstate.Object, error) {
	if vmi, ok := s[namespace+"/"+name]; ok {
		return vmi, nil
	}
	return nil, apierrors.NewNotFound(v1.Resource("virtualmachineinstances"), name)
}

// lookup reads the VMI a migration names within timeout, so a slow API server turns into
// an error this service reports rather than the API server's webhook timeout.
func lookup(ctx context.Context, vmis VMIGetter, timeout time.Duration, m *Migration) (*linkstate.Object, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return vmis.GetVMI(ctx, m.Namespace, m.VMIName)
}
