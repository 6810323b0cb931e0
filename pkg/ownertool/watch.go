package ownertool

import (
	"context"
	"errors"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// WaitRequest says what to wait for.
type WaitRequest struct {
	Namespace string
	// VMI is the VMI whose status reports the states: the VM's name for a VM.
	VMI     string
	Changes []Change
	Dialect linkstate.Dialect
	Timeout time.Duration
	// Observe is called with what is still pending every time the VMI changes (and once at
	// the start, with every change pending when there is no VMI yet).
	Observe func(vmi *Object, pending []Pending)
}

// ErrVMIDeleted ends a wait whose VMI was deleted: the VM stopped, and the change reaches
// the guest at its next start.
var ErrVMIDeleted = errors.New("the VMI was deleted while waiting: the change applies when the VM starts again")

// Wait watches the VMI until it reports every change, the timeout passes
// (*WaitTimeoutError), or the VMI is deleted (ErrVMIDeleted).
func (c *Client) Wait(ctx context.Context, req WaitRequest) error {
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	resource := c.Dynamic.Resource(VMI.Resource).Namespace(req.Namespace)
	selector := fields.OneTermEqualSelector("metadata.name", req.VMI).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = selector
			return resource.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = selector
			return resource.Watch(ctx, o)
		},
	}
	var mu sync.Mutex
	last := &WaitTimeoutError{VMI: req.VMI, Namespace: req.Namespace, Timeout: req.Timeout, NoVMI: true}
	observe := func(vmi *Object) bool {
		pending := PendingChanges(vmi, req.Changes, req.Dialect)
		mu.Lock()
		last.Pending, last.NoVMI = pending, vmi == nil
		if vmi != nil {
			last.Node = vmi.Node
		}
		mu.Unlock()
		if req.Observe != nil {
			req.Observe(vmi, pending)
		}
		return len(pending) == 0
	}
	deleted := false
	_, err := watchtools.UntilWithSync(ctx, lw, &unstructured.Unstructured{},
		func(store cache.Store) (bool, error) {
			items := store.List()
			if len(items) == 0 {
				observe(nil)
				return false, nil
			}
			vmi, err := ReadObject(VMI, items[0].(*unstructured.Unstructured))
			if err != nil {
				return false, err
			}
			return observe(vmi), nil
		},
		func(ev watch.Event) (bool, error) {
			switch ev.Type {
			case watch.Deleted:
				deleted = true
				return true, nil
			case watch.Added, watch.Modified:
				vmi, err := ReadObject(VMI, ev.Object.(*unstructured.Unstructured))
				if err != nil {
					return false, err
				}
				return observe(vmi), nil
			}
			return false, nil
		})
	switch {
	case deleted:
		return ErrVMIDeleted
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		mu.Lock()
		defer mu.Unlock()
		return last
	}
	return err
}
