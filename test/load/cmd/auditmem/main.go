// Command auditmem measures what the audit's informer caches and scanner hold for a large
// cluster, without a cluster: the real controller-runtime cache with the audit's options
// (audit.CacheOptions: the transforms, no copies), fed by a ListerWatcher that streams N
// realistic VMs (internal/workload, each decoded from its own JSON by the same decoder a
// REST client uses) the way an API server answers a streaming list, and the real Scanner
// judging them, with a Writer that stores nothing (the Reports' cost is the API server's;
// the scanner's own bookkeeping of them is counted). It reports the process's resident
// memory once the first full scan has ended, the time of that scan and of a rescan.
//
//	go run ./test/load/cmd/auditmem -vms 100000
//
// It is what docs/audit.md's 100,000-VM figure comes from; the 10,000-VM figure of the
// real binary against a real API server (test/load/cmd/auditbench) checks it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/audit"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/test/load"
)

func main() {
	pop := load.Population{}
	flag.IntVar(&pop.VMs, "vms", 100000, "VMs streamed")
	flag.IntVar(&pop.Namespaces, "namespaces", 100, "namespaces they are spread over")
	flag.IntVar(&pop.ViolatingEvery, "violating-every", 10, "every n-th VM violates rule B1")
	vmis := flag.Int("vmis", 0, "VMIs streamed besides (a running VM has one), shaped like the VMs' templates")
	interval := flag.Duration("rescan-interval", 20*time.Second, "time between full scans")
	profile := flag.String("memprofile", "", "write a heap profile here once the rescan has ended")
	flag.Parse()
	memprofile = *profile
	if err := run(pop, *vmis, *interval); err != nil {
		fmt.Fprintln(os.Stderr, "auditmem:", err)
		os.Exit(1)
	}
}

func run(pop load.Population, vmis int, interval time.Duration) error {
	logf.SetLogger(zap.New(zap.Level(zapcore.InfoLevel)))
	audit.StreamingLists()
	scheme, err := audit.Scheme()
	if err != nil {
		return err
	}
	decoder := serializer.NewCodecFactory(scheme).UniversalDeserializer()
	start := readMemory()
	fmt.Printf("machine: %d CPUs, %s, GOMAXPROCS %d; %d VMs (every %d-th violating), %d VMIs; RSS before: %s\n",
		runtime.NumCPU(), runtime.Version(), runtime.GOMAXPROCS(0), pop.VMs, pop.ViolatingEvery, vmis, mib(start.rss))

	sources := map[bool]*source{
		false: {n: pop.VMs, object: func(i int) ([]byte, error) { vm, _ := pop.VM(i); return vm.MarshalJSON() }, list: &v1.VirtualMachineList{}},
		true:  {n: vmis, object: func(i int) ([]byte, error) { return vmiJSON(pop, i) }, list: &v1.VirtualMachineInstanceList{}},
	}
	for _, s := range sources {
		s.decoder = decoder
	}
	opts := audit.CacheOptions(scheme)
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(v1.VirtualMachineGroupVersionKind, meta.RESTScopeNamespace)
	mapper.Add(v1.VirtualMachineInstanceGroupVersionKind, meta.RESTScopeNamespace)
	opts.Mapper = mapper
	opts.NewInformer = func(_ toolscache.ListerWatcher, obj kruntime.Object, resync time.Duration, indexers toolscache.Indexers) toolscache.SharedIndexInformer {
		_, vmi := obj.(*v1.VirtualMachineInstance)
		return toolscache.NewSharedIndexInformer(sources[vmi], obj, resync, indexers)
	}
	newCache := func() (cache.Cache, error) {
		// The host is never contacted: the informers read the sources above.
		return cache.New(&rest.Config{Host: "https://unused.invalid"}, opts)
	}
	scanner := audit.NewScanner(audit.NewBuiltin(linkstate.Static(linkstate.DefaultConfig())), discard{}, newCache,
		audit.Options{Interval: interval, Workers: audit.DefaultWorkers})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	began := time.Now()
	go func() { _ = scanner.Run(ctx) }()
	for scanner.Scans() < 1 {
		time.Sleep(100 * time.Millisecond)
	}
	first := time.Since(began)
	firstJudging := gauge("linkstate_audit_last_scan_seconds")
	time.Sleep(2 * time.Second)
	after := readMemory()
	for scanner.Scans() < 2 {
		time.Sleep(100 * time.Millisecond)
	}
	rescan := gauge("linkstate_audit_last_scan_seconds")
	steady := readMemory()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("first full scan: %v from start (list, transform, judge; judging alone %.3fs), %d objects with violations\n",
		first.Round(100*time.Millisecond), firstJudging, scanner.Index.Len())
	fmt.Printf("RSS after the first scan: %s (peak so far %s); after a rescan: %s (peak %s); Go heap in use after GC: %s\n",
		mib(after.rss), mib(after.peak), mib(steady.rss), mib(steady.peak), mib(int64(ms.HeapInuse)))
	fmt.Printf("rescan of everything from the cache: %.3fs\n", rescan)
	if memprofile != "" {
		f, err := os.Create(memprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return err
		}
	}
	runtime.KeepAlive(scanner)
	return nil
}

var memprofile string

// source is a ListerWatcher that answers a streaming list with n objects, one at a time,
// then the bookmark that ends the initial events, and then nothing.
type source struct {
	n       int
	object  func(i int) ([]byte, error)
	decoder kruntime.Decoder
	list    kruntime.Object
}

func (s *source) List(metav1.ListOptions) (kruntime.Object, error) {
	return nil, fmt.Errorf("this source answers streaming lists only: audit.StreamingLists was not called")
}

func (s *source) Watch(opts metav1.ListOptions) (watch.Interface, error) {
	w := watch.NewFake()
	if opts.SendInitialEvents == nil || !*opts.SendInitialEvents {
		return w, nil // a resumed watch: nothing changes
	}
	go func() {
		for i := range s.n {
			raw, err := s.object(i)
			if err != nil {
				w.Error(&metav1.Status{Message: err.Error()})
				return
			}
			obj, _, err := s.decoder.Decode(raw, nil, nil)
			if err != nil {
				w.Error(&metav1.Status{Message: err.Error()})
				return
			}
			meta.NewAccessor().SetResourceVersion(obj, strconv.Itoa(i+2))
			w.Add(obj)
		}
		var end kruntime.Object = &v1.VirtualMachine{}
		if _, ok := s.list.(*v1.VirtualMachineInstanceList); ok {
			end = &v1.VirtualMachineInstance{}
		}
		m, _ := meta.Accessor(end)
		m.SetResourceVersion(strconv.Itoa(s.n + 2))
		m.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
		w.Action(watch.Bookmark, end)
	}()
	return w, nil
}

// vmiJSON is a VMI shaped like the i-th VM's template, with a status like virt-handler's.
func vmiJSON(pop load.Population, i int) ([]byte, error) {
	vm, _ := pop.VM(i)
	spec := vm.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"]
	vmi := map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
		"metadata": map[string]any{"name": vm.GetName(), "namespace": vm.GetNamespace(), "uid": fmt.Sprintf("vmi-%d", i),
			"labels": vm.GetLabels(), "annotations": vm.GetAnnotations()},
		"spec": spec,
		"status": map[string]any{"phase": "Running", "nodeName": "worker-3",
			"interfaces": []any{map[string]any{"name": "default", "ipAddress": "10.128.2.17", "mac": "02:5e:00:00:00:01", "linkState": "up"}}},
	}
	return json.Marshal(vmi)
}

// discard stores no Report: the scanner's own bookkeeping is what is measured.
type discard struct{}

func (discard) Available(context.Context) error                                 { return nil }
func (discard) Apply(context.Context, *reportsv1alpha1.Report) error            { return nil }
func (discard) Delete(context.Context, types.NamespacedName) error              { return nil }
func (discard) Stored(context.Context) (map[types.NamespacedName]string, error) { return nil, nil }

func gauge(name string) float64 {
	families, _ := metrics.Registry.Gather()
	for _, f := range families {
		if f.GetName() == name && len(f.Metric) == 1 {
			return f.Metric[0].GetGauge().GetValue()
		}
	}
	return 0
}

type memory struct{ rss, peak int64 }

func readMemory() memory {
	var m memory
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return m
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		name, value, _ := strings.Cut(s.Text(), ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			m.rss = kb << 10
		case "VmHWM":
			m.peak = kb << 10
		}
	}
	return m
}

func mib(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }
