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
	"github.com/linkstate-webhook/linkstate-webhook/test/load/floor"
)

// served are exactly the http.Handlers the webhook server registers (limit, decoding and
// metrics included), minus TLS and the network.
func served(tb testing.TB) map[string]http.Handler {
	tb.Helper()
	return server.Handlers(linkstate.Static(linkstate.DefaultConfig()), migration.Options{VMIs: migration.VMISet{}, LookupTimeout: time.Second}, nil)
}

// The yardsticks, served the same bytes as the handler. floor.Handler is the cheapest
// webhook there is: encoding/json decodes the AdmissionReview, objects left raw, and it
// answers allowed. crBaseline is what any webhook built on controller-runtime's
// admission.Webhook pays before its handler runs: its generic decoding of the review (four
// passes over the body), then an allowed answer — what this service served through before
// ReviewHandler.
var crBaseline = &admission.Webhook{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
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
// in the same benchmark and in alternating blocks of iterations, the floor webhook and
// controller-runtime's baseline on the same bytes. ns/op, B/op and allocs/op are the
// handler's; `ratio` is handler time over floor time, the number the speed goal is about
// (docs/performance.md); `cr-ratio` is the controller-runtime baseline's time over the
// floor's; `floor-ns/op` is shown so the ratios can be checked. Alternating blocks keep all
// three under the same machine load and GC state, which on a shared 2-core machine matters
// more than anything.
func BenchmarkHandlers(b *testing.B) {
	hooks := served(b)
	for _, bc := range benchCases([]int{1, 4, 16}) {
		b.Run(bc.name, func(b *testing.B) { benchAgainstFloor(b, hooks[bc.path], bc) })
	}
}

// BenchmarkHandlersSmall is BenchmarkHandlers on the smallest realistic review: a VM as a
// user writes it (name, four interfaces and networks, nothing else), about 1 KB.
func BenchmarkHandlersSmall(b *testing.B) {
	hooks := served(b)
	for _, bc := range []benchCase{
		{"mutate/create/small", server.PathMutateVM, workload.SmallReview(false)},
		{"validate/create/small", server.PathValidateVM, workload.SmallReview(true)},
	} {
		b.Run(bc.name, func(b *testing.B) { benchAgainstFloor(b, hooks[bc.path], bc) })
	}
}

// BenchmarkHandlersLarge is BenchmarkHandlers for a VM with 1,000 interfaces: a limit, not
// a workload (KubeVirt VMs have a handful), checked for being linear rather than quadratic.
func BenchmarkHandlersLarge(b *testing.B) {
	hooks := served(b)
	for _, bc := range benchCases([]int{1000}) {
		b.Run(bc.name, func(b *testing.B) { benchAgainstFloor(b, hooks[bc.path], bc) })
	}
}

// blockSize is how many iterations run on one side before switching to the other: large
// enough that the clock reads and the StopTimer/StartTimer pair are noise, small enough
// that both sides see the same minute of machine load.
const blockSize = 32

func benchAgainstFloor(b *testing.B, h http.Handler, bc benchCase) {
	if h == nil {
		b.Fatalf("nothing served on %s", bc.path)
	}
	w := &discardWriter{header: http.Header{}}
	hreq, freq, breq := newRequest(bc.path), newRequest(bc.path), newRequest(bc.path)
	// Every side must answer the review, or the benchmark measures an error path.
	for name, side := range map[string]http.Handler{"handler": h, "floor": floor.Handler, "baseline": crBaseline} {
		serveOnce(side, w, newRequest(bc.path), bc.body)
		if w.status != 0 && w.status != http.StatusOK {
			b.Fatalf("%s on %s answered HTTP %d", name, bc.path, w.status)
		}
	}
	b.SetBytes(int64(len(bc.body)))
	b.ReportAllocs()
	b.ResetTimer()

	var handlerTime, floorTime, baselineTime time.Duration
	timed := func(side http.Handler, req *http.Request, k int) time.Duration {
		start := time.Now()
		for range k {
			serveOnce(side, w, req, bc.body)
		}
		return time.Since(start)
	}
	for done := 0; done < b.N; {
		k := min(blockSize, b.N-done)
		handlerTime += timed(h, hreq, k)
		b.StopTimer() // the yardsticks' time and allocations are not the handler's
		floorTime += timed(floor.Handler, freq, k)
		baselineTime += timed(crBaseline, breq, k)
		b.StartTimer()
		done += k
	}
	b.ReportMetric(float64(floorTime.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(float64(handlerTime)/float64(floorTime), "ratio")
	b.ReportMetric(float64(baselineTime)/float64(floorTime), "cr-ratio")
}
