package ownertool

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Client is the part of the tool that talks to the API server.
type Client struct {
	// Dynamic sends the requests whose warnings the user sees.
	Dynamic dynamic.Interface
	// Quiet sends the spelling probe's dry runs, whose warnings would only confuse (an
	// alias rewritten in a request that was never meant to be stored). Nil uses Dynamic.
	Quiet dynamic.Interface
}

// Get reads one VM or VMI.
func (c *Client) Get(ctx context.Context, t Target, ns, name string) (*Object, error) {
	u, err := c.Dynamic.Resource(t.Resource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return ReadObject(t, u)
}

// List reads every VM or VMI of a namespace ("" for all namespaces), sorted by namespace
// and name as the API server returns them.
func (c *Client) List(ctx context.Context, t Target, ns string) ([]*Object, error) {
	list, err := c.Dynamic.Resource(t.Resource).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]*Object, 0, len(list.Items))
	for i := range list.Items {
		o, err := ReadObject(t, &list.Items[i])
		if err != nil {
			return nil, fmt.Errorf("%s %s/%s: %w", t.GroupKind.Kind, list.Items[i].GetNamespace(), list.Items[i].GetName(), err)
		}
		out = append(out, o)
	}
	return out, nil
}

// Reports reads what `get` shows: one object by name, or every one of the namespace
// ("" for all) when name is empty. A VM is paired with the VMI of the same name.
func (c *Client) Reports(ctx context.Context, t Target, ns, name string, forced linkstate.Dialect) ([]Report, error) {
	var objs []*Object
	if name != "" {
		o, err := c.Get(ctx, t, ns, name)
		if err != nil {
			return nil, err
		}
		objs = []*Object{o}
	} else {
		var err error
		if objs, err = c.List(ctx, t, ns); err != nil {
			return nil, err
		}
	}
	vmis := map[types.NamespacedName]*Object{}
	switch {
	case t.GroupKind == VMI.GroupKind:
		for _, o := range objs {
			vmis[types.NamespacedName{Namespace: o.Namespace, Name: o.Name}] = o
		}
	case name != "":
		vmi, err := c.vmiOf(ctx, objs[0].Namespace, name)
		if err != nil {
			return nil, err
		}
		if vmi != nil {
			vmis[types.NamespacedName{Namespace: vmi.Namespace, Name: vmi.Name}] = vmi
		}
	case len(objs) > 0:
		list, err := c.List(ctx, VMI, ns)
		if err != nil {
			return nil, err
		}
		for _, v := range list {
			vmis[types.NamespacedName{Namespace: v.Namespace, Name: v.Name}] = v
		}
	}
	reports := make([]Report, 0, len(objs))
	for _, o := range objs {
		vmi := vmis[types.NamespacedName{Namespace: o.Namespace, Name: o.Name}]
		reports = append(reports, BuildReport(o, vmi, DisplayDialect(forced, o, vmi)))
	}
	return reports, nil
}

// vmiOf reads the VMI of a VM, nil when there is none.
func (c *Client) vmiOf(ctx context.Context, ns, name string) (*Object, error) {
	vmi, err := c.Get(ctx, VMI, ns, name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return vmi, err
}
