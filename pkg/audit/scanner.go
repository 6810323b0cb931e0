package audit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// Defaults of a Scanner.
const (
	DefaultInterval = time.Hour
	DefaultWorkers  = 2
)

// Options tune a Scanner.
type Options struct {
	// Interval between full scans (0: DefaultInterval). Changes are judged as they happen
	// anyway; the full scan catches what no event announces (a Report edited or deleted by
	// hand, an object deleted while no replica scanned).
	Interval time.Duration
	// Workers judge objects and write Reports concurrently (0: DefaultWorkers). They are
	// the scanner's own goroutines: admission never waits for them.
	Workers int
}

// Scanner judges every VM and VMI and keeps their Reports current while it runs (Run),
// which only the leader does.
type Scanner struct {
	judge    Judge
	writer   Writer
	newCache func() (cache.Cache, error)
	opts     Options
	log      logr.Logger
	now      func() time.Time
	// Index is who violates what now; empty while not scanning.
	Index *Index

	// The state of one term as leader, reset by Run.
	mu       sync.Mutex
	stored   map[types.NamespacedName]string // Reports stored, by name, with their hash
	writable bool                            // the API server serves Reports
	keys     map[Key]struct{}                // every VM and VMI the informers hold
	pending  map[Key]struct{}                // not yet judged in the current full scan
	started  time.Time                       // of the current full scan
	scans    int                             // full scans completed this term
	queue    workqueue.TypedRateLimitingInterface[Key]
	cache    cache.Cache
}

// NewScanner judges with judge and writes with writer; newCache builds the informer cache
// at the start of every term (NewCache in a cluster).
func NewScanner(judge Judge, writer Writer, newCache func() (cache.Cache, error), opts Options) *Scanner {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	return &Scanner{
		judge: judge, writer: writer, newCache: newCache, opts: opts,
		log: logf.Log.WithName("audit"), now: time.Now, Index: NewIndex(recordTotal),
	}
}

// Run scans until ctx ends: informers on VMs and VMIs, a first full scan once they have
// synced, every change as it comes, a full scan every Interval, and what the judge asks
// to be judged again. When ctx ends it forgets everything, gauges included.
func (s *Scanner) Run(ctx context.Context) error {
	c, err := s.newCache()
	if err != nil {
		return fmt.Errorf("building the audit's cache: %w", err)
	}
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[Key](),
		workqueue.TypedRateLimitingQueueConfig[Key]{Name: "linkstate_audit"})
	s.mu.Lock()
	s.cache, s.queue, s.keys, s.pending, s.stored, s.scans = c, queue, map[Key]struct{}{}, nil, map[types.NamespacedName]string{}, 0
	s.mu.Unlock()
	defer s.reset()

	if err := s.watch(ctx, c, &v1.VirtualMachine{}, false); err != nil {
		return err
	}
	if err := s.watch(ctx, c, &v1.VirtualMachineInstance{}, true); err != nil {
		return err
	}
	cacheDone := make(chan struct{})
	go func() {
		defer close(cacheDone)
		if err := c.Start(ctx); err != nil {
			s.log.Error(err, "the audit's informers stopped")
		}
	}()
	var workers sync.WaitGroup
	// In this order when the term ends: no new work, the workers finish what they hold,
	// the informers stop, then everything is forgotten (reset, deferred above).
	defer func() {
		queue.ShutDown()
		workers.Wait()
		<-cacheDone
	}()
	listStart := s.now()
	if !c.WaitForCacheSync(ctx) {
		return nil // ctx ended first
	}
	s.log.Info("informers synced", "objects", len(s.snapshot("")), "took", s.now().Sub(listStart).Round(time.Millisecond))

	s.fullScan(ctx)
	for range s.opts.Workers {
		workers.Add(1)
		go func() { defer workers.Done(); s.work(ctx) }()
	}

	var invalidations <-chan string
	if inv, ok := s.judge.(Invalidator); ok {
		invalidations = inv.Invalidations()
	}
	ticker := time.NewTicker(s.opts.Interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			s.fullScan(ctx)
		case ns := <-invalidations:
			s.log.V(1).Info("judging again", "namespace", ns)
			s.enqueue(s.snapshot(ns))
		}
	}
}

// watch feeds the queue from the informer of obj's kind; the first sync's adds are the
// first scan's objects.
func (s *Scanner) watch(ctx context.Context, c cache.Cache, obj client.Object, vmi bool) error {
	for {
		informer, err := c.GetInformer(ctx, obj)
		if err == nil {
			_, err = informer.AddEventHandlerWithOptions(toolscache.ResourceEventHandlerFuncs{
				AddFunc: func(o any) { s.observed(o, vmi, true) },
				UpdateFunc: func(old, o any) {
					if !sameForAudit(old, o) {
						s.observed(o, vmi, true)
					}
				},
				DeleteFunc: func(o any) { s.observed(o, vmi, false) },
			}, toolscache.HandlerOptions{})
			return err
		}
		// KubeVirt's CRDs may come after this service.
		s.log.Error(err, "cannot watch KubeVirt's objects: are KubeVirt's CRDs installed? retrying in 30s", "kind", fmt.Sprintf("%T", obj))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(30 * time.Second):
		}
	}
}

// sameForAudit reports whether an update changed nothing the transforms keep but the
// resourceVersion: VMI status writes, for one, arrive as such updates.
func sameForAudit(old, o any) bool {
	switch n := o.(type) {
	case *v1.VirtualMachine:
		p, ok := old.(*v1.VirtualMachine)
		if !ok {
			return false
		}
		c := *p
		c.ResourceVersion = n.ResourceVersion
		return equality.Semantic.DeepEqual(&c, n)
	case *v1.VirtualMachineInstance:
		p, ok := old.(*v1.VirtualMachineInstance)
		if !ok {
			return false
		}
		c := *p
		c.ResourceVersion = n.ResourceVersion
		return equality.Semantic.DeepEqual(&c, n)
	}
	return false
}

// observed queues an object the informers saw added, changed (present) or deleted.
func (s *Scanner) observed(o any, vmi, present bool) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	m, ok := o.(client.Object)
	if !ok {
		return
	}
	k := Key{VMI: vmi, NamespacedName: types.NamespacedName{Namespace: m.GetNamespace(), Name: m.GetName()}}
	s.mu.Lock()
	if s.keys == nil {
		s.mu.Unlock()
		return // the term ended
	}
	if present {
		s.keys[k] = struct{}{}
	} else {
		delete(s.keys, k)
	}
	q := s.queue
	s.mu.Unlock()
	q.Add(k)
}

// snapshot is every known object in namespace ("" for all).
func (s *Scanner) snapshot(namespace string) []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Key, 0, len(s.keys))
	for k := range s.keys {
		if namespace == "" || k.Namespace == namespace {
			out = append(out, k)
		}
	}
	return out
}

// fullScan re-reads which Reports are stored, deletes those about objects that no longer
// exist, and judges every object again. Reports are read before the objects are listed:
// a Report is written only about an object the informers already hold, so any Report
// about an object missing from the later list is an orphan.
func (s *Scanner) fullScan(ctx context.Context) {
	writable := true
	stored, err := s.storedReports(ctx)
	if err != nil {
		writable = false
		s.log.Error(err, "Reports are not written")
	}
	keys := s.snapshot("")
	s.mu.Lock()
	s.writable = writable
	if writable {
		s.stored = stored
	}
	s.mu.Unlock()
	if writable {
		s.deleteOrphans(ctx, keys, stored)
	}
	s.mu.Lock()
	if s.pending == nil {
		s.pending, s.started = make(map[Key]struct{}, len(keys)), s.now()
	}
	for _, k := range keys {
		s.pending[k] = struct{}{}
	}
	s.mu.Unlock()
	if len(keys) == 0 {
		s.judged(Key{})
	}
	s.enqueue(keys)
}

func (s *Scanner) storedReports(ctx context.Context) (map[types.NamespacedName]string, error) {
	if err := s.writer.Available(ctx); err != nil {
		return nil, err
	}
	return s.writer.Stored(ctx)
}

func (s *Scanner) deleteOrphans(ctx context.Context, keys []Key, stored map[types.NamespacedName]string) {
	valid := make(map[types.NamespacedName]struct{}, len(keys))
	for _, k := range keys {
		valid[reportKey(k)] = struct{}{}
	}
	for name := range stored {
		if _, ok := valid[name]; ok {
			continue
		}
		if err := s.writer.Delete(ctx, name); err != nil {
			s.log.Error(err, "deleting a Report about an object that is gone", "report", name)
			continue
		}
		s.mu.Lock()
		delete(s.stored, name)
		s.mu.Unlock()
	}
}

func (s *Scanner) enqueue(keys []Key) {
	s.mu.Lock()
	q := s.queue
	s.mu.Unlock()
	for _, k := range keys {
		q.Add(k)
	}
}

func reportKey(k Key) types.NamespacedName {
	return types.NamespacedName{Namespace: k.Namespace, Name: ReportName(k.Kind(), k.Name)}
}

// work judges queued objects until the queue shuts down.
func (s *Scanner) work(ctx context.Context) {
	for {
		k, shutdown := s.queue.Get()
		if shutdown {
			return
		}
		if err := s.reconcile(ctx, k); err != nil {
			if ctx.Err() == nil {
				s.log.Error(err, "judging again later", "object", k.String())
				s.queue.AddRateLimited(k)
			}
		} else {
			s.queue.Forget(k)
		}
		s.queue.Done(k)
		s.judged(k)
	}
}

// judged ends the full scan once its last object has been judged.
func (s *Scanner) judged(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return
	}
	delete(s.pending, k)
	if len(s.pending) > 0 {
		return
	}
	took := s.now().Sub(s.started)
	s.pending = nil
	s.scans++
	lastScanSeconds.Set(took.Seconds())
	lastScanTimestamp.Set(float64(s.now().Unix()))
	scannedObjects.Set(float64(len(s.keys)))
	s.log.Info("full scan done", "objects", len(s.keys), "withViolations", s.Index.Len(), "took", took.Round(time.Millisecond))
}

// reconcile judges one object and makes its Report say so: written when the results
// changed, deleted when there are none (the object is fixed or gone).
func (s *Scanner) reconcile(ctx context.Context, k Key) error {
	subject, err := s.subject(ctx, k)
	if err != nil {
		return err
	}
	var results []Result
	if subject != nil {
		if results, err = s.judge.Judge(ctx, subject); err != nil {
			return fmt.Errorf("judging: %w", err)
		}
		Sorted(results)
	}
	s.Index.Set(k, results)

	name := reportKey(k)
	s.mu.Lock()
	writable := s.writable
	hash, isStored := s.stored[name]
	s.mu.Unlock()
	if !writable {
		return nil
	}
	if len(results) == 0 {
		if !isStored {
			return nil
		}
		if err := s.writer.Delete(ctx, name); err != nil {
			return fmt.Errorf("deleting Report %s: %w", name, err)
		}
		s.mu.Lock()
		delete(s.stored, name)
		s.mu.Unlock()
		return nil
	}
	report := BuildReport(subject, results, s.now())
	if isStored && hash == report.Annotations[HashAnnotation] {
		return nil
	}
	if err := s.writer.Apply(ctx, report); err != nil {
		if meta.IsNoMatchError(err) {
			s.mu.Lock()
			s.writable = false
			s.mu.Unlock()
		}
		return fmt.Errorf("writing Report %s: %w", name, err)
	}
	s.mu.Lock()
	s.stored[name] = report.Annotations[HashAnnotation]
	s.mu.Unlock()
	return nil
}

// subject reads k from the cache; nil when it is gone.
func (s *Scanner) subject(ctx context.Context, k Key) (*Subject, error) {
	if k.VMI {
		var vmi v1.VirtualMachineInstance
		if err := s.cache.Get(ctx, k.NamespacedName, &vmi); err != nil {
			return nil, client.IgnoreNotFound(err)
		}
		return SubjectOfVMI(&vmi), nil
	}
	var vm v1.VirtualMachine
	if err := s.cache.Get(ctx, k.NamespacedName, &vm); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return SubjectOfVM(&vm), nil
}

// reset forgets the term: a replica that no longer scans reports no violations.
func (s *Scanner) reset() {
	s.Index.Reset()
	s.mu.Lock()
	s.stored, s.keys, s.pending, s.writable = nil, nil, nil, false
	s.mu.Unlock()
}

// Scans is the number of full scans completed in the current term.
func (s *Scanner) Scans() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scans
}
