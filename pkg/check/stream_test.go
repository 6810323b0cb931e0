package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
)

// splitWith reads every document with read, and the error that ends the stream.
func splitWith(read func() ([]byte, error)) (docs []string, end string) {
	for {
		doc, err := read()
		if err != nil {
			return docs, err.Error()
		}
		docs = append(docs, string(doc))
	}
}

// longLastLine reports whether data ends with a line of 4096 bytes or more without a line
// break. YAMLReader drops such a line when its length is a multiple of its reader's buffer
// (4096 bytes): bufio.Reader.ReadLine hands it over as a full buffer, then the end of the
// stream comes alone, and LineReader returns the line with io.EOF, which YAMLReader takes
// for the end. yamlDocuments keeps it; the comparisons leave such input out.
func longLastLine(data []byte) bool {
	return len(data) > 0 && data[len(data)-1] != '\n' && len(data)-1-bytes.LastIndexByte(data, '\n') > 4096-1
}

// FuzzYAMLDocumentsMatchYAMLReader: yamlDocuments splits any stream as apimachinery's
// YAMLReader does, with the same errors — also when the stream comes a byte at a time,
// and through a buffer smaller than its lines.
func FuzzYAMLDocumentsMatchYAMLReader(f *testing.F) {
	for _, seed := range []string{
		"a: 1\n---\nb: 2\n", "---\n---\n# c\n--- # x\nd\n", "a\r\n---\r\nb", "--- x\n", "---\t\n-- -\n----\n",
		"no newline at the end", "\n\n---", "a: |\n  ---\n---\n",
	} {
		f.Add([]byte(seed))
	}
	f.Add(workload.ManifestsYAML(3))
	f.Fuzz(func(t *testing.T, data []byte) {
		if longLastLine(data) {
			return
		}
		want, wantEnd := splitWith(utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data))).Read)
		for name, r := range map[string]*bufio.Reader{
			"whole":          bufio.NewReaderSize(bytes.NewReader(data), 64<<10),
			"a byte at once": bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(data)), 16),
		} {
			y := &yamlDocuments{r: r}
			got, gotEnd := splitWith(y.Read)
			if diff := cmp.Diff(want, got); diff != "" || gotEnd != wantEnd {
				t.Fatalf("%s: documents (-YAMLReader +yamlDocuments):\n%s\nend %q, want %q", name, diff, gotEnd, wantEnd)
			}
		}
	})
}

// The one difference, spelled out: YAMLReader drops a last line without a line break that
// is exactly 4096 bytes long; yamlDocuments keeps it.
func TestYAMLDocumentsKeepALongLastLine(t *testing.T) {
	data := append([]byte("a: 1\n---\nb: "), bytes.Repeat([]byte("x"), 4096-3)...)
	if !longLastLine(data) {
		t.Fatal("longLastLine misses the case")
	}
	want, _ := splitWith(utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data))).Read)
	got, _ := splitWith((&yamlDocuments{r: bufio.NewReader(bytes.NewReader(data))}).Read)
	if len(want) != 1 || len(got) != 2 || got[1] != string(data[9:])+"\n" {
		t.Fatalf("YAMLReader read %d documents, yamlDocuments %d: %.40q", len(want), len(got), got)
	}
}

// A read error ends the stream with that error, as it does YAMLReader's.
func TestYAMLDocumentsReadError(t *testing.T) {
	broken := func() io.Reader {
		return io.MultiReader(bytes.NewReader([]byte("a: 1\n---\nb: 2\nc")), iotest.ErrReader(errors.New("disk on fire")))
	}
	want, wantEnd := splitWith(utilyaml.NewYAMLReader(bufio.NewReader(broken())).Read)
	got, gotEnd := splitWith((&yamlDocuments{r: bufio.NewReader(broken())}).Read)
	if diff := cmp.Diff(want, got); diff != "" || gotEnd != wantEnd {
		t.Fatalf("documents (-YAMLReader +yamlDocuments):\n%s\nend %q, want %q", diff, gotEnd, wantEnd)
	}
	if wantEnd != "disk on fire" {
		t.Fatalf("the test's reader did not fail: %q", wantEnd)
	}
}

// parseBefore is Parse as it was before documents were converted by yamljson and decoded
// by jsonprune: apimachinery's YAMLOrJSONDecoder, sigs.k8s.io/yaml and encoding/json.
func parseBefore(source string, r io.Reader) ([]Document, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bufio.NewReader(r), 4096)
	var docs []Document
	for n := 1; ; {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		src := fmt.Sprintf("%s#%d", source, n)
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", source, n, err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		n++
		d, err := documentBefore(src, fmt.Sprintf("%s, document %d", source, n-1), raw)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
}

func documentBefore(src, where string, raw json.RawMessage) ([]Document, error) {
	if found := jsonKind(raw); found != "object" {
		return nil, fmt.Errorf("%s: not a Kubernetes object: expected a mapping with apiVersion and kind, found %s", where, found)
	}
	var head documentHead
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("%s: not a Kubernetes object: %w", where, unmarshalError(err))
	}
	if head.Kind == "" {
		return nil, fmt.Errorf("%s: not a Kubernetes object: it has no kind", where)
	}
	if head.APIVersion == "v1" && head.Kind == "List" {
		var docs []Document
		for i, item := range head.Items {
			d, err := documentBefore(fmt.Sprintf("%s.items[%d]", src, i), fmt.Sprintf("%s, item %d", where, i), item)
			if err != nil {
				return nil, err
			}
			docs = append(docs, d...)
		}
		return docs, nil
	}
	name := head.Metadata.Name
	if name == "" {
		name = head.Metadata.GenerateName
	}
	return []Document{{Source: src, Raw: raw, TypeMeta: head.TypeMeta, Namespace: head.Metadata.Namespace, Name: name}}, nil
}

// comparable is a Document with its JSON decoded, since the two ways spell it differently
// (key order, escapes) for the same value.
func comparable(t *testing.T, docs []Document) []any {
	t.Helper()
	var out []any
	for _, d := range docs {
		dec := json.NewDecoder(bytes.NewReader(d.Raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: Raw is not JSON: %v", d.Source, err)
		}
		out = append(out, []any{d.Source, d.TypeMeta, d.Namespace, d.Name, v})
	}
	return out
}

// expectParsedAsBefore parses data both ways and requires the same documents or the same
// error.
func expectParsedAsBefore(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := parseBefore("in.yaml", bytes.NewReader(data))
	got, gotErr := Parse("in.yaml", bytes.NewReader(data))
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("error %v, before %v\ninput %q", gotErr, wantErr, data)
	}
	if diff := cmp.Diff(comparable(t, want), comparable(t, got)); diff != "" {
		t.Fatalf("documents (-before +now):\n%s\ninput %q", diff, data)
	}
}

// FuzzParseAsBefore: Parse reads any input as it did with apimachinery's decoder and
// sigs.k8s.io/yaml alone: the same documents and sources, or the same error.
func FuzzParseAsBefore(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [unclosed\n",
		`{"apiVersion": "v1", "kind": "Secret"} {"kind": `,
		"# only\n---\n---\napiVersion: v1\nkind: List\nitems:\n- kind: Secret\n  metadata: {name: x}\n",
		"KIND: Pod\nMetadata:\n  NAME: x\nkind: Q\n",
		"{\"kind\":\"a\"}\n---\nkind: b\n",
	} {
		f.Add([]byte(seed))
	}
	f.Add(workload.ManifestsYAML(2))
	f.Fuzz(func(t *testing.T, data []byte) {
		if longLastLine(data) {
			return
		}
		expectParsedAsBefore(t, data)
	})
}

func TestParseAsBefore(t *testing.T) {
	expectParsedAsBefore(t, workload.ManifestsYAML(300))
	for _, file := range []string{"testdata/mixed.yaml", "testdata/list.json", "testdata/pod-linkdown-vm.yaml", "testdata/unknown-fields.yaml"} {
		data, err := readFile(file)
		if err != nil {
			t.Fatal(err)
		}
		expectParsedAsBefore(t, data)
	}
}

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
