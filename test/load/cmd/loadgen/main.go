// Command loadgen measures the webhook binary under load: it starts envtest's API server
// (the binary's manager needs one), runs the real binary on loopback with its own
// certificates, posts AdmissionReviews of a realistic VM over TLS at a fixed concurrency,
// and reports throughput, latency percentiles and the server's memory.
//
//	go run ./test/load/cmd/loadgen -concurrency 16 -duration 10s -repeat 5
//
// The generator shares the machine with the server. To keep them off each other's CPUs,
// pin both: `taskset -c 1 loadgen -server-cpus 0` (make load does).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	repeat := flag.Int("repeat", 3, "runs, each against a freshly started server; the summary is their median")
	interfaces := flag.Int("interfaces", 4, "interfaces of the VM in every review")
	fresh := flag.Int("fresh-connections", 0, "workers that open a new TLS connection per request (the others keep theirs)")
	serverCPUs := flag.String("server-cpus", "", "CPUs to pin the server to with taskset, e.g. 0")
	serverProcs := flag.Int("server-gomaxprocs", 0, "GOMAXPROCS of the server (0: Go's default)")
	serverEnv := flag.String("server-env", "", "comma-separated KEY=VALUE settings for the server's environment, e.g. GOGC=400")
	verbose := flag.Bool("v", false, "show the webhook's and the API server's output")
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, options{
		concurrency: *concurrency, duration: *duration, warmup: *warmup, repeat: *repeat,
		interfaces: *interfaces, fresh: *fresh, serverCPUs: *serverCPUs, serverProcs: *serverProcs, verbose: *verbose,
		serverEnv: *serverEnv,
	}); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	concurrency, repeat, interfaces, fresh, serverProcs int
	duration, warmup                                    time.Duration
	serverCPUs, serverEnv                               string
	verbose                                             bool
}

// measurement is one run's numbers.
type measurement struct {
	rate                float64 // good reviews per second
	p50, p99, p999, max time.Duration
	failed              int
	rss, peak           int64 // bytes, at the end and the process's high-water mark
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

	ca, err := testpki.NewCA("linkstate-webhook load CA")
	if err != nil {
		return err
	}
	certDir, err := os.MkdirTemp("", "loadgen-certs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(certDir)
	certPEM, keyPEM, err := ca.IssueLoopback("linkstate-webhook serving 100", 100)
	if err != nil {
		return err
	}
	if err := testpki.WriteInPlace(certDir, certPEM, keyPEM); err != nil {
		return err
	}

	// Each VM create costs the API server one mutating and one validating review: send
	// both, the validating one with the object as mutated.
	requests := []load.Request{
		{Path: server.PathMutateVM, UID: "loadgen-mutate", Body: workload.Review("loadgen-mutate", workload.Create,
			workload.VM("billing-db-0", "billing", o.interfaces, false), nil)},
		{Path: server.PathValidateVM, UID: "loadgen-validate", Body: workload.Review("loadgen-validate", workload.Create,
			workload.VM("billing-db-0", "billing", o.interfaces, true), nil)},
	}
	fmt.Printf("reviews: VM create, %d interfaces, mutating and validating in turn (%d and %d bytes)\n\n",
		o.interfaces, len(requests[0].Body), len(requests[1].Body))
	fmt.Printf("%-4s %10s %9s %9s %9s %9s %7s %9s %9s\n", "run", "reviews/s", "p50", "p99", "p99.9", "max", "failed", "RSS", "peak RSS")

	var runs []measurement
	for i := range o.repeat {
		m, err := measure(ctx, o, env.Binary, env.Kubeconfig, certDir, ca, requests, log)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		runs = append(runs, m)
		printRow(fmt.Sprint(i+1), m)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	printRow("med", median(runs))
	return nil
}

// measure starts a fresh server, loads it for warmup+duration, and stops it.
func measure(ctx context.Context, o options, binary, kubeconfig, certDir string, ca *testpki.CA, requests []load.Request, log io.Writer) (measurement, error) {
	var env []string
	if o.serverEnv != "" {
		env = strings.Split(o.serverEnv, ",")
	}
	if o.serverProcs > 0 {
		env = append(env, fmt.Sprintf("GOMAXPROCS=%d", o.serverProcs))
	}
	w, err := harness.StartWebhook(ctx, harness.WebhookOptions{
		Binary: binary, Kubeconfig: kubeconfig, CertDir: certDir, Env: env, CPUs: o.serverCPUs, Log: log,
	})
	if err != nil {
		return measurement{}, err
	}
	defer w.Stop(30 * time.Second)

	result, err := load.Run(ctx, load.Config{
		Addr: w.Addr, RootCAs: ca.Pool(), Requests: requests, Concurrency: o.concurrency,
		FreshConnections: o.fresh, Duration: o.warmup + o.duration, Warmup: o.warmup,
	})
	if err != nil {
		return measurement{}, err
	}
	rss, peak, err := w.Memory()
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
		pin = "server pinned to CPUs " + o.serverCPUs
	}
	fmt.Printf("load: %d in flight, %d of them on a new connection per request, %v measured after %v warm-up, %d runs; %s, generator GOMAXPROCS %d, server environment %q\n",
		o.concurrency, o.fresh, o.duration, o.warmup, o.repeat, pin, runtime.GOMAXPROCS(0), o.serverEnv)
}

func printRow(label string, m measurement) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	mib := func(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }
	fmt.Printf("%-4s %10.0f %9s %9s %9s %9s %7d %9s %9s\n", label, m.rate, ms(m.p50), ms(m.p99), ms(m.p999), ms(m.max), m.failed, mib(m.rss), mib(m.peak))
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
		failed: int(col(func(m measurement) float64 { return float64(m.failed) })),
		rss:    int64(col(func(m measurement) float64 { return float64(m.rss) })),
		peak:   int64(col(func(m measurement) float64 { return float64(m.peak) })),
	}
}
