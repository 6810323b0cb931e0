package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
)

// served are exactly the http.Handlers the webhook server registers (limit, decoding and
// metrics included), minus TLS and the network.
func served(tb testing.TB) map[string]http.Handler {
	tb.Helper()
	return server.Handlers(linkstate.Static(linkstate.DefaultConfig()), migration.Options{VMIs: migration.VMISet{}, LookupTimeout: time.Second}, nil)
}

// baseline is the floor every admission webhook built on controller-runtime pays: the same
// admission.Webhook decodes the same AdmissionReview (the object stays raw bytes) and
// encodes an allowed response. What a handler costs beyond it is its own work: reading
// the VM out of the review, the rules, the patch.
var baseline = &admission.Webhook{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
	return admission.Allowed("")
})}

// discardWriter is the cheapest http.ResponseWriter that still sees the whole response, so
// neither side of a comparison pays for a growing recorder buffer.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// serveOnce posts body to h the way net/http hands a request to the handler.
func serveOnce(h http.Handler, w *discardWriter, req *http.Request, body []byte) {
	clear(w.header)
	w.status, w.n = 0, 0
	req.Body = readCloser{bytes.NewReader(body)}
	req.ContentLength = int64(len(body))
	h.ServeHTTP(w, req)
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func newRequest(path string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, "https://webhook.local"+path+"?timeout=10s", http.NoBody)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, */*")
	return req
}

// benchCase is one AdmissionReview sent to one path.
type benchCase struct {
	name string
	path string
	body []byte
}

func benchCases(sizes []int) []benchCase {
	var cases []benchCase
	for _, n := range sizes {
		cases = append(cases,
			// The mutating webhook sees what the user wrote; the validating webhook sees the
			// object after mutation, as the API server orders them.
			benchCase{fmt.Sprintf("mutate/create/ifaces=%d", n), server.PathMutateVM, workload.CreateReview(n, false)},
			benchCase{fmt.Sprintf("validate/create/ifaces=%d", n), server.PathValidateVM, workload.CreateReview(n, true)},
			benchCase{fmt.Sprintf("mutate/update/ifaces=%d", n), server.PathMutateVM, workload.UpdateReview(n)},
			benchCase{fmt.Sprintf("validate/update/ifaces=%d", n), server.PathValidateVM, workload.UpdateReview(n)},
		)
	}
	return cases
}

// BenchmarkHandlers measures each served VM handler on a realistic AdmissionReview and,
// in the same benchmark and in alternating blocks of iterations, the baseline on the same
// bytes. ns/op, B/op and allocs/op are the handler's; `ratio` is handler time over
// baseline time, the number the speed goal (≤ 1.5, docs/performance.md) is about; `baseline-ns/op` is
// shown so the ratio can be checked. Alternating blocks keep both sides under the same
// machine load and GC state, which on a shared 2-core machine matters more than anything.
func BenchmarkHandlers(b *testing.B) {
	hooks := served(b)
	for _, bc := range benchCases([]int{1, 4, 16}) {
		b.Run(bc.name, func(b *testing.B) { benchAgainstBaseline(b, hooks[bc.path], bc) })
	}
}

// BenchmarkHandlersLarge is BenchmarkHandlers for a VM with 1,000 interfaces: a limit, not
// a workload (KubeVirt VMs have a handful), checked for being linear rather than quadratic.
func BenchmarkHandlersLarge(b *testing.B) {
	hooks := served(b)
	for _, bc := range benchCases([]int{1000}) {
		b.Run(bc.name, func(b *testing.B) { benchAgainstBaseline(b, hooks[bc.path], bc) })
	}
}

// blockSize is how many iterations run on one side before switching to the other: large
// enough that the clock reads and the StopTimer/StartTimer pair are noise, small enough
// that both sides see the same minute of machine load.
const blockSize = 32

func benchAgainstBaseline(b *testing.B, h http.Handler, bc benchCase) {
	if h == nil {
		b.Fatalf("nothing served on %s", bc.path)
	}
	w := &discardWriter{header: http.Header{}}
	hreq, breq := newRequest(bc.path), newRequest(bc.path)
	// The handler must answer the review, or the benchmark measures an error path.
	serveOnce(h, w, hreq, bc.body)
	if w.status != 0 && w.status != http.StatusOK {
		b.Fatalf("%s answered HTTP %d", bc.path, w.status)
	}
	b.SetBytes(int64(len(bc.body)))
	b.ReportAllocs()
	b.ResetTimer()

	var handlerTime, baselineTime time.Duration
	for done := 0; done < b.N; {
		k := min(blockSize, b.N-done)
		start := time.Now()
		for range k {
			serveOnce(h, w, hreq, bc.body)
		}
		handlerTime += time.Since(start)

		b.StopTimer() // the baseline's time and allocations are not the handler's
		start = time.Now()
		for range k {
			serveOnce(baseline, w, breq, bc.body)
		}
		baselineTime += time.Since(start)
		b.StartTimer()
		done += k
	}
	b.ReportMetric(float64(baselineTime.Nanoseconds())/float64(b.N), "baseline-ns/op")
	b.ReportMetric(float64(handlerTime)/float64(baselineTime), "ratio")
}
