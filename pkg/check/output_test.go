package check

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// printed is what the check printed before it streamed: every verdict collected, then
// encoding/json's indented encoding of the slice, or WriteReport.
func printedBefore(t *testing.T, docs []Document, asJSON bool) string {
	t.Helper()
	report := RunWith(docs, linkstate.DefaultConfig(), Options{})
	results := report.Results
	var b bytes.Buffer
	if !asJSON {
		WriteReport(&b, report)
		return b.String()
	}
	if results == nil {
		results = []Result{}
	}
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// printedNow streams docs through a judge into a printer whose spools hold memory bytes
// before they move to a file.
func printedNow(t *testing.T, docs []Document, asJSON bool, memory int) string {
	t.Helper()
	p := newPrinter(asJSON)
	p.results.memory, p.used.memory, p.skips.memory = memory, memory, memory
	defer p.Close()
	j := newJudge(linkstate.DefaultConfig(), Options{}, p)
	for _, d := range docs {
		j.document(d)
	}
	j.finish()
	var b bytes.Buffer
	if err := p.Print(&b); err != nil {
		t.Fatal(err)
	}
	if memory < 1000 && len(docs) > 10 && p.results.file == nil {
		t.Fatal("the spool never moved to a file")
	}
	return b.String()
}

// The streamed output is, byte for byte, what collecting every verdict and printing them
// printed: with migrations (whose verdicts wait for the end) among the VMs, skipped
// documents, nothing at all, and spools in memory or in a file.
func TestPrinterPrintsWhatTheEncoderPrints(t *testing.T) {
	migrations, err := Parse("in.yaml", strings.NewReader(`
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstanceMigration
metadata: {name: before, namespace: team-02}
spec: {vmiName: app-00002}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
`))
	if err != nil {
		t.Fatal(err)
	}
	generated, err := Parse("generated.yaml", bytes.NewReader(workload.ManifestsYAML(40)))
	if err != nil {
		t.Fatal(err)
	}
	mixed := parseFixture(t, "testdata/mixed.yaml")
	inputs := map[string][]Document{
		"nothing":                 nil,
		"fixture":                 mixed,
		"skipped":                 mixed[2:],
		"mixed":                   append(append(append([]Document{}, migrations...), generated...), append(migrations, mixed...)...),
		"two migrations in a row": append(append([]Document{}, migrations[0], migrations[0]), generated[:3]...),
	}
	for name, docs := range inputs {
		for _, asJSON := range []bool{true, false} {
			for _, memory := range []int{spoolMemory, 100} {
				want := printedBefore(t, docs, asJSON)
				got := printedNow(t, docs, asJSON, memory)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s, json %v, spool memory %d (-before +now):\n%s", name, asJSON, memory, diff)
				}
			}
		}
	}
}

// A bad document anywhere — after many good ones — gives exit status 2, the error, and not
// a single verdict.
func TestBadInputAfterGoodPrintsNoVerdict(t *testing.T) {
	input := append(workload.ManifestsYAML(50), []byte("---\nkind: [unclosed\n")...)
	var stdout, stderr bytes.Buffer
	code := Main("check", []string{"-f", "-", "-o", "json"}, bytes.NewReader(input), &stdout, &stderr)
	if code != 2 || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %d bytes; want 2 and nothing", code, stdout.Len())
	}
	if want := "<stdin>, document 51: error converting YAML to JSON: yaml: line 1: did not find expected ',' or ']'\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

func TestSpoolMovesToAFile(t *testing.T) {
	s := &spool{memory: 10}
	defer s.Close()
	for _, part := range []string{"01234", "56789", "abcdefgh"} {
		if _, err := s.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if s.file == nil || s.Len() != 18 {
		t.Fatalf("file %v, length %d", s.file, s.Len())
	}
	if _, err := os.Stat(s.file.Name()); !os.IsNotExist(err) {
		t.Errorf("the spool's file is still in the directory: %v", err)
	}
	var b bytes.Buffer
	if err := s.copyRange(&b, 3, 12); err != nil || b.String() != "3456789ab" {
		t.Errorf("copyRange = %q, %v", b.String(), err)
	}
}
