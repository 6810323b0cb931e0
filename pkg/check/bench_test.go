package check

import (
	"bytes"
	"io"
	"testing"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
)

// BenchmarkCheck runs the check command on 1,000 generated manifests (internal/workload:
// VMs and VMIs with 1–8 interfaces as kept in Git, one YAML stream) with JSON output, as a
// pipeline would; `ns/object` is the time per manifest. Its goal is ≤ 100 µs per object
// on the reference machine (docs/performance.md); make check-bench compares the binary
// with gator.
func BenchmarkCheck(b *testing.B) {
	const objects = 1000
	input := workload.ManifestsYAML(objects)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		if code := Main("check", []string{"-f", "-", "-o", "json"}, bytes.NewReader(input), io.Discard, io.Discard); code != 1 {
			b.Fatalf("exit status %d, want 1 (some manifests are denied)", code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*objects), "ns/object")
}
