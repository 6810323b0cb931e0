// Command loadgen measures the webhook binary under load: it starts envtest's API server
// (the binary's manager needs one), runs the real binary on loopback with its own
// certificates, posts AdmissionReviews of a VM over TLS at a fixed concurrency, and reports
// throughput, latency percentiles, the server's CPU time per review and its memory. In the
// same run, alternating with it, it measures the floor webhook (test/load/floor: the
// cheapest webhook there is) on the same reviews, certificate and clients, and reports the
// ratio of the two.
//
//	go run ./test/load/cmd/loadgen -concurrency 16 -duration 10s -repeat 5
//
// The generator shares the machine with the server. To keep them off each other's CPUs,
// pin both: `taskset -c 1 loadgen -server-cpus 0`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
	"github.com/linkstate-webhook/linkstate-webhook/test/load"
)

func main() {
	concurrency := flag.Int("concurrency", 16, "requests in flight at once")
	duration := flag.Duration("duration", 10*time.Second, "length of each measured run")
	warmup := flag.Duration("warmup", 2*time.Second, "load before each measured run that is not counted")
	repeat := flag.Int("repeat", 3, "runs of each server, each against a freshly started one; the summary is their median")
	interfaces := flag.Int("interfaces", 4, "interfaces of the realistic VM")
	vms := flag.String("vms", "small,realistic", "comma-separated VMs to review: small (a user's 4-interface VM, ~1 KB review), realistic (a stored VM with -interfaces interfaces, ~10 KB)")
	reviews := flag.String("reviews", "validate", "reviews of each VM create to send: validate, mutate or both (in turn)")
	withFloor := flag.Bool("floor", true, "measure the floor webhook (test/load/floor) too, alternating with the real one, and report their ratio")
	fresh := flag.Int("fresh-connections", 0, "workers that open a new TLS connection per request (the others keep theirs)")
	serverCPUs := flag.String("server-cpus", "", "CPUs to pin the servers to with taskset, e.g. 0")
	serverProcs := flag.Int("server-gomaxprocs", 0, "GOMAXPROCS of the webhook (0: Go's default)")
	serverEnv := flag.String("server-env", "", "comma-separated KEY=VALUE settings for the webhook's environment, e.g. GOGC=400")
	binary := flag.String("webhook-binary", "", "the webhook binary to measure (default: built from this tree), e.g. an older build to compare")
	verbose := flag.Bool("v", false, "show the webhook's and the API server's output")
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, options{
		concurrency: *concurrency, duration: *duration, warmup: *warmup, repeat: *repeat,
		interfaces: *interfaces, fresh: *fresh, serverCPUs: *serverCPUs, serverProcs: *serverProcs, verbose: *verbose,
		serverEnv: *serverEnv, vms: strings.Split(*vms, ","), reviews: *reviews, floor: *withFloor, binary: *binary,
	}); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	concurrency, repeat, interfaces, fresh, serverProcs int
	duration, warmup                                    time.Duration
	serverCPUs, serverEnv, reviews, binary              string
	vms                                                 []string
	floor, verbose                                      bool
}

// measurement is one run's numbers.
type measurement struct {
	rate                float64 // good reviews per second
	p50, p99, p999, max time.Duration
	cpu                 time.Duration // the server's CPU time per good review
	failed              int
	rss, peak           int64 // bytes, at the end and the process's high-water mark
}

// servers are the webhook binary and the floor, started afresh for each run.
type servers struct {
	webhook, floor, kubeconfig, certDir string
	ca                                  *testpki.CA
	log                                 io.Writer
}

func run(ctx context.Context, o options) error {
	var log io.Writer = io.Discard
	if o.verbose {
		log = os.Stderr
	}
	printMachine(o)
	fmt.Println("starting kube-apiserver and etcd (envtest) and building the webhook ...")
	env, err := load.StartAPIServer(ctx, log)
	if err != nil {
		return err
	}
	defer env.Stop()
	srv := servers{webhook: env.Binary, kubeconfig: env.Kubeconfig, log: log}
	if o.binary != "" {
		srv.webhook = o.binary
	}
	if o.floor {
		dir, err := os.MkdirTemp("", "loadgen-floor-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		srv.floor = filepath.Join(dir, "floorwebhook")
		build := exec.Command("go", "build", "-o", srv.floor, "./test/load/cmd/floorwebhook")
		build.Dir = harness.Root()
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building the floor webhook: %w\n%s", err, out)
		}
	}

	if srv.ca, err = testpki.NewCA("linkstate-webhook load CA"); err != nil {
		return err
	}
	if srv.certDir, err = os.MkdirTemp("", "loadgen-certs-"); err != nil {
		return err
	}
	defer os.RemoveAll(srv.certDir)
	certPEM, keyPEM, err := srv.ca.IssueLoopback("linkstate-webhook serving 100", 100)
	if err != nil {
		return err
	}
	if err := testpki.WriteInPlace(srv.certDir, certPEM, keyPEM); err != nil {
		return err
	}

	for _, vm := range o.vms {
		requests, err := reviewsOf(vm, o)
		if err != nil {
			return err
		}
		var sizes []string
		for _, r := range requests {
			sizes = append(sizes, fmt.Sprint(len(r.Body)))
		}
		fmt.Printf("\nreviews: %s VM create, %s (%s bytes)\n", vm, o.reviews, strings.Join(sizes, " and "))
		fmt.Printf("%-12s %10s %9s %9s %9s %9s %8s %7s %9s %9s\n", "run", "reviews/s", "p50", "p99", "p99.9", "max", "CPU/rev", "failed", "RSS", "peak RSS")
		var webhookRuns, floorRuns []measurement
		for i := range o.repeat {
			m, err := measureWebhook(ctx, o, srv, requests)
			if err != nil {
				return fmt.Errorf("run %d: %w", i+1, err)
			}
			webhookRuns = append(webhookRuns, m)
			printRow(fmt.Sprintf("webhook %d", i+1), m)
			if o.floor {
				m, err := measureFloor(ctx, o, srv, requests)
				if err != nil {
					return fmt.Errorf("floor run %d: %w", i+1, err)
				}
				floorRuns = append(floorRuns, m)
				printRow(fmt.Sprintf("floor %d", i+1), m)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		w := median(webhookRuns)
		printRow("webhook med", w)
		if o.floor {
			f := median(floorRuns)
			printRow("floor med", f)
			fmt.Printf("webhook / floor: throughput %.2f, p99 %.2f, CPU per review %.2f\n",
				w.rate/f.rate, float64(w.p99)/float64(f.p99), float64(w.cpu)/float64(f.cpu))
		}
	}
	return nil
}

// reviewsOf are the reviews sent for one VM: each create costs the API server a mutating
// review (the user's object) and a validating one (the object as mutated).
func reviewsOf(vm string, o options) ([]load.Request, error) {
	var mutate, validate []byte
	switch vm {
	case "small":
		mutate, validate = workload.SmallReview(false), workload.SmallReview(true)
	case "realistic":
		mutate = workload.Review("loadgen-mutate", workload.Create, workload.VM("billing-db-0", "billing", o.interfaces, false), nil)
		validate = workload.Review("loadgen-validate", workload.Create, workload.VM("billing-db-0", "billing", o.interfaces, true), nil)
	default:
		return nil, fmt.Errorf("-vms: unknown VM %q: use small or realistic", vm)
	}
	uid := func(body []byte) string {
		var r struct {
			Request struct{ UID string } `json:"request"`
		}
		_ = json.Unmarshal(body, &r)
		return r.Request.UID
	}
	m := load.Request{Path: server.PathMutateVM, Body: mutate, UID: uid(mutate)}
	v := load.Request{Path: server.PathValidateVM, Body: validate, UID: uid(validate)}
	switch o.reviews {
	case "validate":
		return []load.Request{v}, nil
	case "mutate":
		return []load.Request{m}, nil
	case "both":
		return []load.Request{m, v}, nil
	}
	return nil, fmt.Errorf("-reviews: unknown %q: use validate, mutate or both", o.reviews)
}

// measureWebhook starts a fresh webhook binary, loads it for warmup+duration, and stops it.
func measureWebhook(ctx context.Context, o options, srv servers, requests []load.Request) (measurement, error) {
	var env []string
	if o.serverEnv != "" {
		env = strings.Split(o.serverEnv, ",")
	}
	if o.serverProcs > 0 {
		env = append(env, fmt.Sprintf("GOMAXPROCS=%d", o.serverProcs))
	}
	w, err := harness.StartWebhook(ctx, harness.WebhookOptions{
		Binary: srv.webhook, Kubeconfig: srv.kubeconfig, CertDir: srv.certDir, Env: env, CPUs: o.serverCPUs, Log: srv.log,
		// The dialect is fixed: a probe would add API calls to the measurement.
		Args: []string{"--dialect", "seed"},
	})
	if err != nil {
		return measurement{}, err
	}
	defer w.Stop(30 * time.Second)
	return measure(ctx, o, w.Addr, w.PID(), srv.ca, requests)
}

// measureFloor is measureWebhook for the floor webhook, on a free port.
func measureFloor(ctx context.Context, o options, srv servers, requests []load.Request) (measurement, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return measurement{}, err
	}
	addr := l.Addr().String()
	l.Close()
	p, err := load.StartFloor(ctx, srv.floor, srv.certDir, addr, o.serverCPUs, srv.ca.Pool(), srv.log)
	if err != nil {
		return measurement{}, err
	}
	defer p.Stop()
	return measure(ctx, o, addr, p.PID(), srv.ca, requests)
}

// measure loads the server at addr (process pid) and reads its numbers.
func measure(ctx context.Context, o options, addr string, pid int, ca *testpki.CA, requests []load.Request) (measurement, error) {
	// The server's CPU time is read when the warm-up ends and when the load does.
	cpuAtWarmup := make(chan time.Duration, 1)
	go func() {
		time.Sleep(o.warmup)
		t, _ := load.CPUTime(pid)
		cpuAtWarmup <- t
	}()
	result, err := load.Run(ctx, load.Config{
		Addr: addr, RootCAs: ca.Pool(), Requests: requests, Concurrency: o.concurrency,
		FreshConnections: o.fresh, Duration: o.warmup + o.duration, Warmup: o.warmup,
	})
	if err != nil {
		return measurement{}, err
	}
	cpuAtEnd, err := load.CPUTime(pid)
	if err != nil {
		return measurement{}, err
	}
	rss, peak, err := load.Memory(pid)
	if err != nil {
		return measurement{}, err
	}
	latencies, window := result.Window()
	m := measurement{
		rate: float64(len(latencies)) / window.Seconds(),
		p50:  load.Percentile(latencies, 50), p99: load.Percentile(latencies, 99), p999: load.Percentile(latencies, 99.9),
		failed: len(result.Failures()), rss: rss, peak: peak,
	}
	if len(latencies) > 0 {
		m.max = latencies[len(latencies)-1]
		m.cpu = (cpuAtEnd - <-cpuAtWarmup) / time.Duration(len(latencies))
	}
	if m.failed > 0 {
		fmt.Fprintf(os.Stderr, "first failure: %v\n", result.Failures()[0].Err)
	}
	return m, nil
}

func printMachine(o options) {
	model := "unknown"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				model = strings.TrimSpace(value)
				break
			}
		}
	}
	load1 := "?"
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		load1 = strings.Fields(string(data))[0]
	}
	fmt.Printf("machine: %d CPUs (%s), %s, load average %s\n", runtime.NumCPU(), model, runtime.Version(), load1)
	pin := "not pinned"
	if o.serverCPUs != "" {
		pin = "servers pinned to CPUs " + o.serverCPUs
	}
	fmt.Printf("load: %d in flight, %d of them on a new connection per request, %v measured after %v warm-up, %d runs; %s, generator GOMAXPROCS %d, webhook environment %q\n",
		o.concurrency, o.fresh, o.duration, o.warmup, o.repeat, pin, runtime.GOMAXPROCS(0), o.serverEnv)
}

func printRow(label string, m measurement) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	mib := func(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }
	fmt.Printf("%-12s %10.0f %9s %9s %9s %9s %6.0fµs %7d %9s %9s\n", label, m.rate, ms(m.p50), ms(m.p99), ms(m.p999), ms(m.max),
		float64(m.cpu.Nanoseconds())/1000, m.failed, mib(m.rss), mib(m.peak))
}

// median takes the median of every column separately.
func median(runs []measurement) measurement {
	mid := func(values []float64) float64 {
		slices.Sort(values)
		return values[len(values)/2]
	}
	col := func(get func(measurement) float64) float64 {
		var v []float64
		for _, r := range runs {
			v = append(v, get(r))
		}
		return mid(v)
	}
	d := func(get func(measurement) time.Duration) time.Duration {
		return time.Duration(col(func(m measurement) float64 { return float64(get(m)) }))
	}
	return measurement{
		rate: col(func(m measurement) float64 { return m.rate }),
		p50:  d(func(m measurement) time.Duration { return m.p50 }), p99: d(func(m measurement) time.Duration { return m.p99 }),
		p999: d(func(m measurement) time.Duration { return m.p999 }), max: d(func(m measurement) time.Duration { return m.max }),
		cpu:    d(func(m measurement) time.Duration { return m.cpu }),
		failed: int(col(func(m measurement) float64 { return float64(m.failed) })),
		rss:    int64(col(func(m measurement) float64 { return float64(m.rss) })),
		peak:   int64(col(func(m measurement) float64 { return float64(m.peak) })),
	}
}
