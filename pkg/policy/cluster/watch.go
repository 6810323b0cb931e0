// Package cluster serves LinkStatePolicies to the validating reviewers from a cluster:
// informers on the policies and on namespaces' metadata, in the controller-runtime
// manager's cache, kept as an immutable policy.Set and a map of namespace labels that a
// review reads without a copy or an API call; and a small controller that writes each
// policy's Ready condition. The evaluation itself is pkg/policy's, pure.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
)

// The bounds of the waits a review may make on the watch.
const (
	// syncWait is how long a review waits for the first lists before it is answered with
	// an error (failurePolicy then decides): it only happens in a replica's first seconds,
	// while /readyz still fails.
	syncWait = 2 * time.Second
	// namespaceWait is how long a review waits for a namespace the watch has not seen
	// yet, one created an instant before the VM in it.
	namespaceWait = time.Second
	// retryInterval paces the attempts to watch a kind the API server does not serve yet
	// (the CRD not installed).
	retryInterval = 5 * time.Second
)

// Watch is a policy.Source backed by the manager's informers. It is a manager Runnable:
// it starts watching once the manager runs, on every replica (it needs no leader).
type Watch struct {
	cache cache.Cache
	mgr   manager.Manager
	log   logr.Logger

	policies atomic.Pointer[policy.Set]
	mu       sync.Mutex // serialises policy events, which rebuild the Set
	compiled map[string]*policy.Policy

	nsMu       sync.RWMutex
	namespaces map[string]labels.Set

	synced  chan struct{} // closed once both informers delivered their first lists
	waiting atomic.Pointer[string]
}

var (
	_ policy.Source                  = (*Watch)(nil)
	_ manager.Runnable               = (*Watch)(nil)
	_ manager.LeaderElectionRunnable = (*Watch)(nil)
)

// Setup adds a Watch to mgr, with the readiness check "policies" that fails until the
// policies and namespaces are loaded: a replica that served before would let through what
// a policy forbids. mgr's cache must be configured with CacheOptions.
func Setup(mgr manager.Manager) (*Watch, error) {
	w := newWatch(mgr.GetLogger().WithName("policies"))
	w.cache, w.mgr = mgr.GetCache(), mgr
	if err := mgr.Add(w); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("policies", w.Checker()); err != nil {
		return nil, err
	}
	return w, nil
}

// newWatch is a Watch with nothing loaded yet, fed by its event handlers.
func newWatch(log logr.Logger) *Watch {
	w := &Watch{
		log:        log,
		compiled:   map[string]*policy.Policy{},
		namespaces: map[string]labels.Set{},
		synced:     make(chan struct{}),
	}
	w.policies.Store(policy.NewSet())
	w.setWaiting("the manager has not started")
	return w
}

// CacheOptions are the manager cache's settings the watch needs: objects cached as
// metadata only (namespaces: the watch reads nothing else that way) keep their name and
// labels only, and no object keeps its managedFields, so memory grows with the number of
// namespaces and policies, by little. (A per-kind transform would make the manager map
// kinds, so reach the API server, as it is created.)
func CacheOptions() cache.Options {
	strip := cache.TransformStripManagedFields()
	return cache.Options{DefaultTransform: func(in any) (any, error) {
		if m, ok := in.(*metav1.PartialObjectMetadata); ok {
			return keepNameAndLabels(m), nil
		}
		return strip(in)
	}}
}

func namespaceMetadata() *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}}
}

func keepNameAndLabels(m *metav1.PartialObjectMetadata) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Name: m.Name, Labels: m.Labels, ResourceVersion: m.ResourceVersion, UID: m.UID,
	}}
}

// NeedLeaderElection is false: every replica judges requests, so every replica watches.
func (w *Watch) NeedLeaderElection() bool { return false }

// Start watches until ctx ends. A kind the API server does not serve yet (the CRD being
// installed with the webhook) is retried: the replica stays unready meanwhile.
func (w *Watch) Start(ctx context.Context) error {
	policies, err := w.register(ctx, &v1alpha1.LinkStatePolicy{}, toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.upsert(obj) },
		UpdateFunc: func(_, obj any) { w.upsert(obj) },
		DeleteFunc: func(obj any) { w.remove(obj) },
	})
	if err != nil {
		return nil //nolint:nilerr // only the context ends the attempts: the manager is stopping
	}
	namespaces, err := w.register(ctx, namespaceMetadata(), toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.setNamespace(obj) },
		UpdateFunc: func(_, obj any) { w.setNamespace(obj) },
		DeleteFunc: func(obj any) { w.removeNamespace(obj) },
	})
	if err != nil {
		return nil //nolint:nilerr // as above
	}
	w.setWaiting("waiting for the first lists of LinkStatePolicies and Namespaces")
	if !toolscache.WaitForCacheSync(ctx.Done(), policies.HasSynced, namespaces.HasSynced) {
		return nil
	}
	close(w.synced)
	w.log.Info("policies loaded", "policies", w.policies.Load().Names())
	if err := addStatusController(w.mgr); err != nil {
		return fmt.Errorf("starting the LinkStatePolicy status controller: %w", err)
	}
	<-ctx.Done()
	return nil
}

// register adds handler to the informer of obj's kind, retrying while the kind is not
// served; it fails only when ctx ends.
func (w *Watch) register(ctx context.Context, obj client.Object, handler toolscache.ResourceEventHandler) (toolscache.ResourceEventHandlerRegistration, error) {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		kind = v1alpha1.Kind
	}
	var logged time.Time
	for {
		inf, err := w.cache.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
		if err == nil {
			return inf.AddEventHandler(handler)
		}
		reason := fmt.Sprintf("cannot watch %s: %v", kind, err)
		if meta.IsNoMatchError(err) {
			reason = fmt.Sprintf("the API server does not serve %s: install its CRD (config/crd, or the chart): %v", kind, err)
		}
		w.setWaiting(reason)
		if time.Since(logged) > time.Minute {
			w.log.Info("not ready: "+reason, "retryIn", retryInterval)
			logged = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(retryInterval):
		}
	}
}

func (w *Watch) setWaiting(reason string) { w.waiting.Store(&reason) }

// Checker fails until the policies and namespaces are loaded, saying why.
func (w *Watch) Checker() healthz.Checker {
	return func(*http.Request) error { return w.loaded() }
}

func (w *Watch) loaded() error {
	select {
	case <-w.synced:
		return nil
	default:
		return errors.New("LinkStatePolicies not loaded: " + *w.waiting.Load())
	}
}

// Policies is the Set in force. Before the first lists it waits a little, then fails:
// judging without the policies would admit what they forbid.
func (w *Watch) Policies(ctx context.Context) (*policy.Set, error) {
	select {
	case <-w.synced:
		return w.policies.Load(), nil
	default:
	}
	timer := time.NewTimer(syncWait)
	defer timer.Stop()
	select {
	case <-w.synced:
		return w.policies.Load(), nil
	case <-ctx.Done():
	case <-timer.C:
	}
	return nil, fmt.Errorf("%w; not judging without them", w.loaded())
}

// NamespaceLabels are the namespace's labels as last seen. A namespace not seen yet (created
// an instant ago) is waited for briefly; after that only its name label is known, which
// the API server gives every namespace.
func (w *Watch) NamespaceLabels(ctx context.Context, namespace string) (labels.Set, error) {
	if l, ok := w.namespace(namespace); ok {
		return l, nil
	}
	deadline := time.Now().Add(namespaceWait)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if l, ok := w.namespace(namespace); ok {
			return l, nil
		}
	}
	w.log.Info("namespace not in the cache: judging with its name label only", "namespace", namespace)
	return policy.NamespaceLabels(namespace, nil), nil
}

func (w *Watch) namespace(name string) (labels.Set, bool) {
	w.nsMu.RLock()
	defer w.nsMu.RUnlock()
	l, ok := w.namespaces[name]
	return l, ok
}

func (w *Watch) upsert(obj any) {
	p, ok := obj.(*v1alpha1.LinkStatePolicy)
	if !ok {
		return
	}
	c, err := policy.Compile(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		// Its Ready condition says why; it applies to nothing.
		w.log.Info("policy not applied", "policy", p.Name, "reason", err.Error())
		delete(w.compiled, p.Name)
	} else {
		w.compiled[p.Name] = c
	}
	w.publish()
}

func (w *Watch) remove(obj any) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	p, ok := obj.(*v1alpha1.LinkStatePolicy)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.compiled, p.Name)
	w.publish()
}

// publish replaces the Set: a review in flight keeps the one it started with, so it sees
// a policy change entirely or not at all.
func (w *Watch) publish() {
	w.policies.Store(policy.NewSet(slices.Collect(maps.Values(w.compiled))...))
}

func (w *Watch) setNamespace(obj any) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return
	}
	l := policy.NamespaceLabels(m.Name, m.Labels)
	w.nsMu.Lock()
	defer w.nsMu.Unlock()
	w.namespaces[m.Name] = l
}

func (w *Watch) removeNamespace(obj any) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return
	}
	w.nsMu.Lock()
	defer w.nsMu.Unlock()
	delete(w.namespaces, m.Name)
}
