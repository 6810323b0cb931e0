package audit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
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
	// chunk is how many objects of a full scan are queued at a time. A change queued
	// during a full scan waits behind at most this many objects, not behind the whole
	// cluster, and the queue never holds (nor, Go maps never shrinking, keeps the memory
	// of) every object at once.
	chunk = 256
	// statusPeriod paces the policies' status writes: a burst of changes is one write.
	statusPeriod = 2 * time.Second
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
	// Status, if set, is told what the scan found, for the policies' status: once the
	// term's first full scan has ended, then every statusPeriod while anything changes.
	Status StatusWriter

	// Full scans asked for, coalesced: one pending scan covers any number of requests.
	scanRequests chan struct{}
	relist       bool // the pending scan also re-reads the stored Reports

	// The state of one term as leader, reset by Run.
	mu        sync.Mutex
	stored    map[types.NamespacedName]string // Reports stored, by name, with their hash
	writable  bool                            // the API server serves Reports
	live      bool                            // a term is on: informers feed the queue
	pending   map[Key]struct{}                // the current chunk of a full scan, not yet judged
	chunkDone chan struct{}                   // closed when pending empties
	scans     int                             // full scans completed this term
	queue     workqueue.TypedRateLimitingInterface[Key]
	// The informers' stores of VMs and VMIs (as Stored), by "namespace/name".
	vms, vmis toolscache.Indexer
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
		scanRequests: make(chan struct{}, 1),
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
	s.queue, s.live, s.pending, s.stored, s.scans = queue, true, nil, map[types.NamespacedName]string{}, 0
	s.mu.Unlock()
	defer s.reset()

	if s.vms, err = s.watch(ctx, c, &v1.VirtualMachine{}, false); err != nil || s.vms == nil {
		return err
	}
	if s.vmis, err = s.watch(ctx, c, &v1.VirtualMachineInstance{}, true); err != nil || s.vmis == nil {
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
	// In this order when the term ends: no new work, the workers and the feeder finish
	// what they hold, the informers stop, then everything is forgotten (reset, deferred
	// above).
	defer func() {
		queue.ShutDown()
		workers.Wait()
		<-cacheDone
	}()
	listStart := s.now()
	if !c.WaitForCacheSync(ctx) {
		return nil // ctx ended first
	}
	s.log.Info("informers synced", "objects", len(s.vms.ListKeys())+len(s.vmis.ListKeys()),
		"took", s.now().Sub(listStart).Round(time.Millisecond))

	for range s.opts.Workers {
		workers.Add(1)
		go func() { defer workers.Done(); s.work(ctx) }()
	}
	workers.Add(1)
	go func() { defer workers.Done(); s.feed(ctx) }()
	s.requestScan(true)

	var invalidations <-chan string
	if inv, ok := s.judge.(Invalidator); ok {
		invalidations = inv.Invalidations()
	}
	ticker := time.NewTicker(s.opts.Interval)
	defer ticker.Stop()
	statusTicker := time.NewTicker(statusPeriod)
	defer statusTicker.Stop()
	written := map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-statusTicker.C:
			if s.Status != nil && s.Scans() > 0 {
				if err := s.Status.WriteStatuses(ctx, s.Index, written); err != nil && ctx.Err() == nil {
					s.log.Error(err, "policy status not written; trying again")
				}
			}
		case <-ticker.C:
			s.requestScan(true)
		case ns := <-invalidations:
			s.log.V(1).Info("judging again", "namespace", ns)
			if ns == "" {
				s.requestScan(false)
			} else {
				s.enqueue(s.snapshot(ns))
			}
		}
	}
}

// watch feeds the queue from the informer of obj's kind and returns its store; nil if
// ctx ended first. The objects of the informer's first list are not queued: the first
// full scan judges them, a chunk at a time.
func (s *Scanner) watch(ctx context.Context, c cache.Cache, obj client.Object, vmi bool) (toolscache.Indexer, error) {
	for {
		informer, err := c.GetInformer(ctx, obj)
		if err == nil {
			shared, ok := informer.(toolscache.SharedIndexInformer)
			if !ok {
				return nil, fmt.Errorf("the cache's informer for %T is a %T, not a client-go shared informer", obj, informer)
			}
			_, err = shared.AddEventHandlerWithOptions(toolscache.ResourceEventHandlerDetailedFuncs{
				AddFunc: func(o any, initial bool) {
					if !initial {
						s.observed(o, vmi)
					}
				},
				UpdateFunc: func(old, o any) {
					if !sameForAudit(old, o) {
						s.observed(o, vmi)
					}
				},
				DeleteFunc: func(o any) { s.observed(o, vmi) },
			}, toolscache.HandlerOptions{})
			return shared.GetIndexer(), err
		}
		// KubeVirt's CRDs may come after this service.
		s.log.Error(err, "cannot watch KubeVirt's objects: are KubeVirt's CRDs installed? retrying in 30s", "kind", fmt.Sprintf("%T", obj))
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(30 * time.Second):
		}
	}
}

// sameForAudit reports whether an update changed nothing the transforms keep: VMI status
// writes, and metadata-only edits, for two, arrive as such updates.
func sameForAudit(old, o any) bool {
	p, ok1 := old.(*Stored)
	n, ok2 := o.(*Stored)
	return ok1 && ok2 && *p == *n
}

// observed queues an object the informers saw added, changed or deleted.
func (s *Scanner) observed(o any, vmi bool) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	m, err := meta.Accessor(o)
	if err != nil {
		return
	}
	s.mu.Lock()
	q, live := s.queue, s.live
	s.mu.Unlock()
	if live {
		q.Add(Key{VMI: vmi, NamespacedName: types.NamespacedName{Namespace: m.GetNamespace(), Name: m.GetName()}})
	}
}

// snapshot is every object the informers hold in namespace ("" for all).
func (s *Scanner) snapshot(namespace string) []Key {
	var out []Key
	for _, kind := range []struct {
		store toolscache.Indexer
		vmi   bool
	}{{s.vms, false}, {s.vmis, true}} {
		var keys []string
		if namespace == "" {
			keys = kind.store.ListKeys()
		} else {
			keys, _ = kind.store.IndexKeys(toolscache.NamespaceIndex, namespace)
		}
		for _, key := range keys {
			ns, name, err := toolscache.SplitMetaNamespaceKey(key)
			if err == nil {
				out = append(out, Key{VMI: kind.vmi, NamespacedName: types.NamespacedName{Namespace: ns, Name: name}})
			}
		}
	}
	return out
}

// requestScan asks for a full scan (relist: re-reading the stored Reports first, and
// deleting orphans). A scan already asked for and not started covers it.
func (s *Scanner) requestScan(relist bool) {
	s.mu.Lock()
	s.relist = s.relist || relist
	s.mu.Unlock()
	select {
	case s.scanRequests <- struct{}{}:
	default:
	}
}

// feed runs the full scans asked for, one after the other, until ctx ends.
func (s *Scanner) feed(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.scanRequests:
		}
		s.mu.Lock()
		relist := s.relist
		s.relist = false
		s.mu.Unlock()
		s.fullScan(ctx, relist)
	}
}

// fullScan judges every object again, a chunk at a time, with relist first re-reading
// which Reports are stored and deleting those about objects that no longer exist.
// Reports are read before the objects are listed: a Report is written only about an
// object the informers already hold, so any Report about an object missing from the
// later list is an orphan.
func (s *Scanner) fullScan(ctx context.Context, relist bool) {
	started := s.now()
	if relist {
		writable := true
		stored, err := s.storedReports(ctx)
		if err != nil {
			writable = false
			s.log.Error(err, "Reports are not written")
		}
		if stored == nil {
			stored = map[types.NamespacedName]string{}
		}
		s.mu.Lock()
		s.writable = writable
		if writable {
			s.stored = stored
		}
		s.mu.Unlock()
		if writable {
			s.deleteOrphans(ctx, s.snapshot(""))
		}
	}
	keys := s.snapshot("")
	for len(keys) > 0 {
		n := min(chunk, len(keys))
		done := make(chan struct{})
		s.mu.Lock()
		s.pending, s.chunkDone = make(map[Key]struct{}, n), done
		for _, k := range keys[:n] {
			s.pending[k] = struct{}{}
		}
		s.mu.Unlock()
		s.enqueue(keys[:n])
		keys = keys[n:]
		select {
		case <-ctx.Done():
			return
		case <-done:
		}
	}
	took := s.now().Sub(started)
	s.mu.Lock()
	s.scans++
	s.mu.Unlock()
	objects := len(s.vms.ListKeys()) + len(s.vmis.ListKeys())
	lastScanSeconds.Set(took.Seconds())
	lastScanTimestamp.Set(float64(s.now().Unix()))
	scannedObjects.Set(float64(objects))
	s.log.Info("full scan done", "objects", objects, "withViolations", s.Index.Len(), "took", took.Round(time.Millisecond))
}

func (s *Scanner) storedReports(ctx context.Context) (map[types.NamespacedName]string, error) {
	if err := s.writer.Available(ctx); err != nil {
		return nil, err
	}
	return s.writer.Stored(ctx)
}

func (s *Scanner) deleteOrphans(ctx context.Context, keys []Key) {
	valid := make(map[types.NamespacedName]struct{}, len(keys))
	for _, k := range keys {
		valid[reportKey(k)] = struct{}{}
	}
	var orphans []types.NamespacedName
	s.mu.Lock()
	for name := range s.stored {
		if _, ok := valid[name]; !ok {
			orphans = append(orphans, name)
		}
	}
	s.mu.Unlock()
	for _, name := range orphans {
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
	for _, k := range keys {
		s.queue.Add(k)
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

// judged tells the full scan an object of its chunk has been judged.
func (s *Scanner) judged(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[k]; !ok {
		return
	}
	delete(s.pending, k)
	if len(s.pending) == 0 {
		close(s.chunkDone)
		s.pending = nil
	}
}

// reconcile judges one object and makes its Report say so: written when the results
// changed, deleted when there are none (the object is fixed or gone).
func (s *Scanner) reconcile(ctx context.Context, k Key) error {
	subject := s.subject(k)
	var results []Result
	if subject != nil {
		var err error
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

// subject reads k from the informers' stores; nil when it is gone.
func (s *Scanner) subject(k Key) *Subject {
	store := s.vms
	if k.VMI {
		store = s.vmis
	}
	o, ok, err := store.GetByKey(k.Namespace + "/" + k.Name)
	if err != nil || !ok {
		return nil
	}
	if st, ok := o.(*Stored); ok {
		return st.Subject()
	}
	return nil
}

// reset forgets the term: a replica that no longer scans reports no violations.
func (s *Scanner) reset() {
	s.Index.Reset()
	s.mu.Lock()
	s.stored, s.live, s.pending, s.writable = nil, false, nil, false
	s.mu.Unlock()
	select {
	case <-s.scanRequests:
	default:
	}
}

// Scans is the number of full scans completed in the current term.
func (s *Scanner) Scans() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scans
}
