package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
)

// The policies of the benchmark, by how they meet its VM (workload.VM with 8 interfaces:
// namespace billing, labelled app.kubernetes.io/name=billing-db, the pod network's link
// up, one secondary link down, the others up).
const (
	// matching selects the VM and finds nothing: the common case, a VM within the rules.
	// Every field is set, so all of it is consulted.
	matchingPolicy = `{metadata: {name: p%03d}, spec: {namespaceSelector: {matchLabels: {tenant: "true"}},
	  objectSelector: {matchLabels: {app.kubernetes.io/name: billing-db}}, allowedStates: [up, down],
	  protectedNetworks: [pod, storage-%[1]d], rules: {B3: Warn}, exemptions: {users: [bot-%[1]d], groups: [g-%[1]d]}, message: "ask #netops"}}`
	// otherNamespace selects another tenant's namespaces.
	otherNamespacePolicy = `{metadata: {name: p%03d}, spec: {namespaceSelector: {matchLabels: {team: t%[1]d}},
	  allowedStates: [up, down], protectedNetworks: [pod, storage-%[1]d], rules: {B3: Warn}}}`
	// finding selects the VM and refuses its link down: every policy finds against it, and
	// the strictest wins (all Enforce: the first by name). The worst case.
	findingPolicy = `{metadata: {name: p%03d}, spec: {namespaceSelector: {matchLabels: {tenant: "true"}}, allowedStates: [up]}}`
)

func policies(b *testing.B, n int, format string) policy.Source {
	b.Helper()
	var ps []*policy.Policy
	for i := range n {
		p := &v1alpha1.LinkStatePolicy{}
		if err := yaml.UnmarshalStrict([]byte(fmt.Sprintf(format, i)), p); err != nil {
			b.Fatal(err)
		}
		c, err := policy.Compile(p)
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, c)
	}
	return policy.Static{Set: policy.NewSet(ps...), Namespaces: map[string]map[string]string{"billing": {"tenant": "true"}}}
}

func validateVM(src policy.Source) http.Handler {
	return server.Handlers(linkstate.Static(linkstate.DefaultConfig()), migration.Options{VMIs: migration.VMISet{}, LookupTimeout: time.Second}, src)[server.PathValidateVM]
}

// BenchmarkPolicies measures the served validating VM handler with 0, 1 and 100
// LinkStatePolicies against the same handler with none, in alternating blocks (as
// BenchmarkHandlers does against the decoding floor): `ratio` is the number the goal,
// 100 policies ≤ 1.2× none, is about (docs/performance.md). Updates judge nothing a
// relabelling did not change, so they show the cost of matching alone.
func BenchmarkPolicies(b *testing.B) {
	none := validateVM(policy.Static{})
	for _, tc := range []struct {
		name string
		src  policy.Source
	}{
		{"policies=0", policy.Static{}},
		{"policies=1/matching", policies(b, 1, matchingPolicy)},
		{"policies=100/matching", policies(b, 100, matchingPolicy)},
		{"policies=100/other-namespaces", policies(b, 100, otherNamespacePolicy)},
		{"policies=100/matching-and-denying", policies(b, 100, findingPolicy)},
	} {
		h := validateVM(tc.src)
		create := workload.CreateReview(8, true)
		// The benchmark measures what it says only if the policies judge: the denying
		// ones must deny, the others not.
		if denied := strings.Contains(answer(b, h, create), `"allowed":false`); denied != strings.HasSuffix(tc.name, "denying") {
			b.Fatalf("%s: the create was denied: %v", tc.name, denied)
		}
		for _, bc := range []benchCase{
			{"create/ifaces=8", server.PathValidateVM, create},
			{"update/ifaces=8", server.PathValidateVM, workload.UpdateReview(8)},
		} {
			b.Run(tc.name+"/"+bc.name, func(b *testing.B) { benchAgainst(b, h, none, bc, "ratio") })
		}
	}
}

// answer is h's response body to a review.
func answer(b *testing.B, h http.Handler, body []byte) string {
	b.Helper()
	rec := httptest.NewRecorder()
	req := newRequest(server.PathValidateVM)
	req.Body = readCloser{bytes.NewReader(body)}
	h.ServeHTTP(rec, req)
	return rec.Body.String()
}

// pairBlock is benchAgainst's block: smaller than BenchmarkHandlers', because the two
// sides differ by a few percent, less than a shared machine's load moves in a few
// milliseconds; switching every few iterations has both see the same load.
const pairBlock = 4

// benchAgainst runs h and base on the same review in alternating blocks and reports h's
// time over base's as metric.
func benchAgainst(b *testing.B, h, base http.Handler, bc benchCase, metric string) {
	w := &discardWriter{header: http.Header{}}
	hreq, breq := newRequest(bc.path), newRequest(bc.path)
	serveOnce(h, w, hreq, bc.body)
	if w.status != 0 && w.status != http.StatusOK {
		b.Fatalf("%s answered HTTP %d", bc.path, w.status)
	}
	b.SetBytes(int64(len(bc.body)))
	b.ReportAllocs()
	b.ResetTimer()
	var handlerTime, baseTime time.Duration
	for done := 0; done < b.N; {
		k := min(pairBlock, b.N-done)
		start := time.Now()
		for range k {
			serveOnce(h, w, hreq, bc.body)
		}
		handlerTime += time.Since(start)

		b.StopTimer()
		start = time.Now()
		for range k {
			serveOnce(base, w, breq, bc.body)
		}
		baseTime += time.Since(start)
		b.StartTimer()
		done += k
	}
	b.ReportMetric(float64(baseTime.Nanoseconds())/float64(b.N), "base-ns/op")
	b.ReportMetric(float64(handlerTime)/float64(baseTime), metric)
}
