// Command auditbench measures the background scan (docs/audit.md) on a real API server
// (envtest's kube-apiserver and etcd, KubeVirt's and OpenReports' CRDs): it stores a
// population of realistic VMs, some violating, then
//
//   - runs the webhook binary with --audit and reports the time of its first full scan
//     (informers' list, judging, Reports written) and of a rescan (nothing to write), its
//     resident memory against the same binary without --audit, and how fast one change
//     reaches its Report;
//
//   - measures admission (a VM create's mutating and validating reviews, posted by
//     -admission-concurrency workers) with no audit, during the first full scan, and once
//     it has ended: p50 and p99 of each;
//
//   - compares the two Report layouts at that size: one Report per object (what the
//     binary writes) and one per namespace (written here, from the same results): objects,
//     bytes stored, time to write them all, and bytes written for one change.
//
//     go run ./test/load/cmd/auditbench -vms 10000 -namespaces 10 -violating-every 10
package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/audit"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
	"github.com/linkstate-webhook/linkstate-webhook/test/load"
)

type options struct {
	pop        load.Population
	qps        float64
	layouts    bool
	verbose    bool
	rescanWait time.Duration
	admission  int
}

func main() {
	var o options
	flag.IntVar(&o.pop.VMs, "vms", 10000, "VMs stored")
	flag.IntVar(&o.pop.Namespaces, "namespaces", 10, "namespaces they are spread over")
	flag.IntVar(&o.pop.ViolatingEvery, "violating-every", 10, "every n-th VM violates rule B1 (1: all, 0: none)")
	flag.IntVar(&o.pop.Concurrency, "create-concurrency", 32, "VM creates in flight while storing the population")
	flag.Float64Var(&o.qps, "audit-qps", audit.DefaultQPS, "--audit-qps of the binary, and the rate the per-namespace layout is written at")
	flag.BoolVar(&o.layouts, "layouts", true, "also write and measure the per-namespace layout")
	flag.DurationVar(&o.rescanWait, "rescan-interval", 0, "--audit-interval of the measured binary (0: long enough for the first scan to end first)")
	flag.IntVar(&o.admission, "admission-concurrency", 2, "admission reviews in flight while measuring its latency (0: do not measure)")
	flag.BoolVar(&o.verbose, "v", false, "show the webhook's and the API server's output")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "auditbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	var log io.Writer = io.Discard
	if o.verbose {
		log = os.Stderr
	}
	fmt.Printf("machine: %d CPUs, %s; population: %d VMs in %d namespaces, every %d-th violating\n",
		runtime.NumCPU(), runtime.Version(), o.pop.VMs, o.pop.Namespaces, o.pop.ViolatingEvery)
	fmt.Println("starting kube-apiserver and etcd (envtest) and building the webhook ...")
	env, err := load.StartAPIServer(ctx, log)
	if err != nil {
		return err
	}
	defer env.Stop()

	took, err := o.pop.Create(ctx, env.Config, func(n int) { fmt.Printf("  %d VMs stored\r", n) })
	if err != nil {
		return err
	}
	fmt.Printf("stored %d VMs in %v (%.0f/s)\n", o.pop.VMs, took.Round(time.Second), float64(o.pop.VMs)/took.Seconds())

	certDir, ca, err := certificates()
	if err != nil {
		return err
	}
	defer os.RemoveAll(certDir)
	pool = ca.Pool()

	base, err := memoryWithoutAudit(ctx, env, certDir, o, log)
	if err != nil {
		return err
	}
	fmt.Printf("\nwebhook without --audit: RSS %s (peak %s); admission %s\n", mib(base.rss), mib(base.peak), base.admission)

	object, err := perObject(ctx, env, certDir, o, log)
	if err != nil {
		return err
	}
	if !o.layouts {
		return nil
	}
	namespace, err := perNamespace(ctx, env.Config, o)
	if err != nil {
		return err
	}
	fmt.Printf("\nReport layouts at %d VMs (%d with a violation), written at %v requests/s:\n", o.pop.VMs, object.reports, o.qps)
	fmt.Printf("%-14s %8s %12s %14s %16s %25s\n", "layout", "Reports", "stored", "largest", "write all", "one change writes (mean)")
	for _, l := range []layout{object, namespace} {
		fmt.Printf("%-14s %8d %12s %14s %16s %25s\n", l.name, l.reports, mib(l.bytes), kib(l.largest), l.writeAll.Round(100*time.Millisecond), kib(l.oneChange))
	}
	if namespace.err != nil {
		fmt.Printf("per-namespace: %v\n", namespace.err)
	}
	return nil
}

type memory struct {
	rss, peak int64
	admission latency
}

// latency is what admission's answers took over a window.
type latency struct {
	reviews  int
	p50, p99 time.Duration
	failed   int
}

func (l latency) String() string {
	if l.reviews == 0 {
		return "not measured"
	}
	return fmt.Sprintf("p50 %v, p99 %v over %d reviews (%d failed)", l.p50.Round(10*time.Microsecond), l.p99.Round(10*time.Microsecond), l.reviews, l.failed)
}

// pool trusts the webhook's serving certificate.
var pool *x509.CertPool

// admissionLoad posts a VM create's two reviews in turn until stopped.
func admissionLoad(ctx context.Context, w *harness.Webhook, o options) (*load.Runner, error) {
	if o.admission == 0 {
		return nil, nil
	}
	requests := []load.Request{
		{Path: server.PathMutateVM, UID: "auditbench-mutate", Body: workload.Review("auditbench-mutate", workload.Create,
			workload.VM("bench-0", "audit-bench", 4, false), nil)},
		{Path: server.PathValidateVM, UID: "auditbench-validate", Body: workload.Review("auditbench-validate", workload.Create,
			workload.VM("bench-0", "audit-bench", 4, true), nil)},
	}
	return load.Start(ctx, load.Config{Addr: w.Addr, RootCAs: pool, Requests: requests, Concurrency: o.admission})
}

func stopLoad(r *load.Runner) latency {
	if r == nil {
		return latency{}
	}
	r.Stop()
	res := r.Wait()
	l, _ := res.Window()
	return latency{reviews: len(l), p50: load.Percentile(l, 50), p99: load.Percentile(l, 99), failed: len(res.Failures())}
}

type layout struct {
	name                      string
	reports                   int
	bytes, largest, oneChange int64
	writeAll                  time.Duration
	err                       error
}

func certificates() (string, *testpki.CA, error) {
	ca, err := testpki.NewCA("auditbench CA")
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "auditbench-certs-")
	if err != nil {
		return "", nil, err
	}
	certPEM, keyPEM, err := ca.IssueLoopback("auditbench serving", 1)
	if err != nil {
		return "", nil, err
	}
	return dir, ca, testpki.WriteInPlace(dir, certPEM, keyPEM)
}

func start(ctx context.Context, env *harness.Env, certDir string, log io.Writer, args ...string) (*harness.Webhook, string, error) {
	metrics, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	w, err := harness.StartWebhook(ctx, harness.WebhookOptions{
		Binary: env.Binary, Kubeconfig: env.Kubeconfig, CertDir: certDir, Log: log,
		Args: append([]string{"--dialect=seed", "--metrics-bind-address=" + metrics, "--shutdown-delay=0s"}, args...),
	})
	return w, metrics, err
}

func memoryWithoutAudit(ctx context.Context, env *harness.Env, certDir string, o options, log io.Writer) (memory, error) {
	w, _, err := start(ctx, env, certDir, log)
	if err != nil {
		return memory{}, err
	}
	defer w.Stop(30 * time.Second)
	r, err := admissionLoad(ctx, w, o)
	if err != nil {
		return memory{}, err
	}
	time.Sleep(15 * time.Second)
	l := stopLoad(r)
	rss, peak, err := w.Memory()
	return memory{rss, peak, l}, err
}

// perObject runs the binary with --audit and measures its scans, its memory, one change,
// and the Reports it wrote.
func perObject(ctx context.Context, env *harness.Env, certDir string, o options, log io.Writer) (layout, error) {
	interval := o.rescanWait
	if interval == 0 {
		interval = 10 * time.Minute // the rescan is triggered by a restart instead, see below
	}
	args := []string{"--audit", fmt.Sprintf("--audit-qps=%v", o.qps), fmt.Sprintf("--audit-interval=%v", interval)}
	w, metrics, err := start(ctx, env, certDir, log, args...)
	if err != nil {
		return layout{}, err
	}
	defer func() { _ = w.Stop(30 * time.Second) }()
	ready := time.Now()
	during, err := admissionLoad(ctx, w, o)
	if err != nil {
		return layout{}, err
	}
	first, err := waitScan(ctx, metrics, 0, 2*time.Hour)
	duringScan := stopLoad(during)
	if err != nil {
		return layout{}, err
	}
	sinceReady := time.Since(ready)
	rss, peak, err := w.Memory()
	if err != nil {
		return layout{}, err
	}
	fmt.Printf("webhook with --audit, leader: first full scan %v (of which judging and writing %v), %v Report writes; RSS %s (peak %s)\n",
		sinceReady.Round(100*time.Millisecond), first.took.Round(time.Millisecond), first.writes, mib(rss), mib(peak))
	fmt.Printf("  admission during that scan: %s\n", duringScan)
	after, err := admissionLoad(ctx, w, o)
	if err != nil {
		return layout{}, err
	}
	time.Sleep(15 * time.Second)
	fmt.Printf("  admission after it, no scan running: %s\n", stopLoad(after))

	// A rescan with nothing to write: a second leader term (the binary restarted) lists
	// the Reports, finds every hash current and writes nothing.
	_ = w.Stop(30 * time.Second)
	w, metrics, err = start(ctx, env, certDir, log, args...)
	if err != nil {
		return layout{}, err
	}
	ready = time.Now()
	again, err := waitScan(ctx, metrics, 0, 2*time.Hour)
	if err != nil {
		return layout{}, err
	}
	sinceReady = time.Since(ready)
	time.Sleep(2 * time.Second)
	rss, peak, err = w.Memory()
	if err != nil {
		return layout{}, err
	}
	fmt.Printf("restarted, Reports already current: first full scan %v (of which judging %v), %v Report writes; RSS %s (peak %s)\n",
		sinceReady.Round(100*time.Millisecond), again.took.Round(time.Millisecond), again.writes, mib(rss), mib(peak))

	// One change: a violating VM fixed; its Report goes.
	c, err := client.New(env.Config, client.Options{Scheme: scheme()})
	if err != nil {
		return layout{}, err
	}
	fixed, changeTook, err := fixOne(ctx, c, o.pop)
	if err != nil {
		return layout{}, err
	}
	fmt.Printf("one VM fixed (%s): its Report gone %v later\n", fixed, changeTook.Round(time.Millisecond))

	l := layout{name: "per object"}
	var list reportsv1alpha1.ReportList
	if err := c.List(ctx, &list); err != nil {
		return l, err
	}
	for i := range list.Items {
		n := size(&list.Items[i])
		l.bytes += n
		l.largest = max(l.largest, n)
	}
	// One change writes one Report (the fixed VM's is gone from the list).
	l.reports, l.writeAll = len(list.Items)+1, first.took
	if len(list.Items) > 0 {
		l.oneChange = l.bytes / int64(len(list.Items))
	}
	return l, nil
}

type scan struct {
	took   time.Duration
	writes float64
}

// waitScan waits until the binary at metrics reports a full scan ended after since (Unix
// seconds), and returns how long it took and how many Reports it has written so far.
func waitScan(ctx context.Context, metrics string, since float64, within time.Duration) (scan, error) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		values, err := scrape(metrics)
		if err == nil && values["linkstate_audit_last_scan_timestamp_seconds"] > since {
			return scan{
				took:   time.Duration(values["linkstate_audit_last_scan_seconds"] * float64(time.Second)),
				writes: values[`linkstate_audit_report_writes_total{operation="apply",result="ok"}`],
			}, nil
		}
		select {
		case <-ctx.Done():
			return scan{}, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return scan{}, errors.New("no full scan ended in time")
}

func scrape(addr string) (map[string]float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		series, value, ok := strings.Cut(s.Text(), " ")
		if !ok || strings.HasPrefix(series, "#") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[series] = v
		}
	}
	return out, s.Err()
}

// fixOne fixes the first violating VM and waits until its Report is gone.
func fixOne(ctx context.Context, c client.Client, pop load.Population) (string, time.Duration, error) {
	if pop.ViolatingEvery == 0 {
		return "", 0, nil
	}
	vm, _ := pop.VM(0)
	var stored v1.VirtualMachine
	key := types.NamespacedName{Namespace: vm.GetNamespace(), Name: vm.GetName()}
	if err := c.Get(ctx, key, &stored); err != nil {
		return "", 0, err
	}
	ifaces := stored.Spec.Template.Spec.Domain.Devices.Interfaces
	ifaces[len(ifaces)-1].State = ""
	start := time.Now()
	if err := c.Update(ctx, &stored); err != nil {
		return "", 0, err
	}
	report := types.NamespacedName{Namespace: key.Namespace, Name: audit.ReportName(linkstate.VirtualMachine, key.Name)}
	for ctx.Err() == nil {
		err := c.Get(ctx, report, &reportsv1alpha1.Report{})
		if apierrors.IsNotFound(err) {
			return key.String(), time.Since(start), nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "", 0, ctx.Err()
}

// perNamespace writes the same results as one Report per namespace, as a scanner with
// that layout would, through a client limited to the same request rate, and measures it.
func perNamespace(ctx context.Context, cfg *rest.Config, o options) (layout, error) {
	l := layout{name: "per namespace"}
	c, err := client.New(cfg, client.Options{Scheme: scheme()})
	if err != nil {
		return l, err
	}
	uids := map[types.NamespacedName]types.UID{}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(v1.GroupVersion.WithKind("VirtualMachineList"))
	for cont := ""; ; {
		if err := c.List(ctx, list, client.Limit(500), client.Continue(cont)); err != nil {
			return l, err
		}
		for _, m := range list.Items {
			uids[types.NamespacedName{Namespace: m.Namespace, Name: m.Name}] = m.UID
		}
		if cont = list.Continue; cont == "" {
			break
		}
	}
	judge := audit.NewBuiltin(linkstate.Static(linkstate.DefaultConfig()))
	now := time.Now()
	byNamespace := map[string]*reportsv1alpha1.Report{}
	for i := range o.pop.VMs {
		u, _ := o.pop.VM(i)
		var vm v1.VirtualMachine
		if err := kruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &vm); err != nil {
			return l, err
		}
		vm.UID = uids[types.NamespacedName{Namespace: vm.Namespace, Name: vm.Name}]
		s := audit.SubjectOfVM(&vm)
		results, err := judge.Judge(ctx, s)
		if err != nil || len(results) == 0 {
			continue
		}
		one := audit.BuildReport(s, audit.Sorted(results), now)
		r := byNamespace[vm.Namespace]
		if r == nil {
			r = &reportsv1alpha1.Report{
				TypeMeta:   one.TypeMeta,
				ObjectMeta: metav1.ObjectMeta{Name: "linkstate-webhook", Namespace: vm.Namespace, Labels: map[string]string{audit.ManagedByLabel: "auditbench"}},
				Source:     audit.Source,
			}
			byNamespace[vm.Namespace] = r
		}
		r.Results = append(r.Results, one.Results...)
		r.Summary.Fail += one.Summary.Fail
		r.Summary.Warn += one.Summary.Warn
	}
	limited := rest.CopyConfig(cfg)
	limited.QPS, limited.Burst = float32(o.qps), int(2*o.qps)
	writer, err := client.New(limited, client.Options{Scheme: scheme()})
	if err != nil {
		return l, err
	}
	start := time.Now()
	for _, r := range byNamespace {
		n := size(r)
		l.bytes += n
		l.largest = max(l.largest, n)
		u, err := kruntime.DefaultUnstructuredConverter.ToUnstructured(r)
		if err != nil {
			return l, err
		}
		obj := &unstructured.Unstructured{Object: u}
		unstructured.RemoveNestedField(obj.Object, "metadata", "creationTimestamp")
		if err := writer.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("auditbench"), client.ForceOwnership); err != nil {
			l.err = fmt.Errorf("writing the Report of namespace %s (%s): %w", r.Namespace, kib(n), err)
			break
		}
		l.reports++
	}
	l.writeAll = time.Since(start)
	// One change rewrites the whole namespace's Report.
	if l.reports > 0 {
		l.oneChange = l.bytes / int64(len(byNamespace))
	}
	return l, nil
}

func scheme() *kruntime.Scheme {
	s := kruntime.NewScheme()
	_ = v1.AddToScheme(s)
	_ = reportsv1alpha1.AddToScheme(s)
	return s
}

func size(r *reportsv1alpha1.Report) int64 {
	raw, _ := json.Marshal(r)
	return int64(len(raw))
}

func mib(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }
func kib(b int64) string { return fmt.Sprintf("%.1fKiB", float64(b)/(1<<10)) }

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
