package load

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
)

// Population is a cluster's worth of stored VMs for the audit's measurements: realistic
// VMs (internal/workload: managed fields, last-applied annotation, disks, cloud-init) with
// four interfaces, spread over namespaces, some of them violating rule B1 (an SR-IOV
// interface set down) as if created while the webhook was not there.
type Population struct {
	VMs, Namespaces int
	// ViolatingEvery makes every n-th VM violate (1: all; 0: none).
	ViolatingEvery int
	// Concurrency is the number of creates in flight.
	Concurrency int
}

// Namespace is the i-th namespace of the population.
func (p Population) Namespace(i int) string { return fmt.Sprintf("audit-%03d", i%max(p.Namespaces, 1)) }

// VM is the i-th VM: its object, and whether it violates.
func (p Population) VM(i int) (*unstructured.Unstructured, bool) {
	vm := workload.ForCreate(workload.VM(fmt.Sprintf("vm-%06d", i), p.Namespace(i), 4, true))
	// Spread over the namespaces alike: the i-th VM is the (i/Namespaces)-th of its own.
	violating := p.ViolatingEvery > 0 && (i/max(p.Namespaces, 1))%p.ViolatingEvery == 0
	if violating {
		spec := vm["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		devices := spec["domain"].(map[string]any)["devices"].(map[string]any)
		devices["interfaces"] = append(devices["interfaces"].([]any), map[string]any{"name": "vf", "sriov": map[string]any{}, "state": "linkDown"})
		spec["networks"] = append(spec["networks"].([]any), map[string]any{"name": "vf", "multus": map[string]any{"networkName": "sriov-nad"}})
	}
	return &unstructured.Unstructured{Object: vm}, violating
}

// Create stores the population through cfg (an admin's), namespaces first; VMs that
// exist already are left as they are. It reports progress to progress (may be nil) and
// returns how long the VMs took.
func (p Population) Create(ctx context.Context, cfg *rest.Config, progress func(done int)) (time.Duration, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0 // no client-side limit: the API server is what is measured
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return 0, err
	}
	for i := range max(p.Namespaces, 1) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.Namespace(i)}}
		if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return 0, err
		}
	}
	start := time.Now()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, p.Concurrency)
	for range max(p.Concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= p.VMs || ctx.Err() != nil {
					return
				}
				vm, _ := p.VM(i)
				if err := c.Create(ctx, vm); err != nil && !apierrors.IsAlreadyExists(err) {
					errs <- fmt.Errorf("creating VM %d: %w", i, err)
					return
				}
				if n := done.Add(1); progress != nil && n%1000 == 0 {
					progress(int(n))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return time.Since(start), ctx.Err()
}
