package yamljson

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
)

// decodeJSON decodes JSON keeping numbers as written, so 5 and 5.0 differ.
func decodeJSON(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON (%v): %s", err, data)
	}
	return v
}

// expectSameAsSigsYAML converts doc both ways and requires the same value, or Convert to
// give up; it reports whether Convert converted.
func expectSameAsSigsYAML(t *testing.T, doc []byte) bool {
	t.Helper()
	got, ok := Convert(doc)
	if !ok {
		return false
	}
	want, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("Convert accepted what sigs.k8s.io/yaml refuses (%v):\n%s\nConvert gave %s", err, doc, got)
	}
	if diff := cmp.Diff(decodeJSON(t, want), decodeJSON(t, got)); diff != "" {
		t.Fatalf("values differ (-sigs.k8s.io/yaml +Convert):\n%s\ndocument:\n%s", diff, doc)
	}
	return true
}

func TestConvert(t *testing.T) {
	tests := map[string]struct {
		doc  string
		want string // "" when Convert must give up
	}{
		"mapping and sequence": {doc: "a: 1\nb:\n  c: x\n  d:\n  - 1\n  - two\n", want: `{"a":1,"b":{"c":"x","d":[1,"two"]}}`},
		"sequence of mappings": {doc: "items:\n- name: a\n  bridge: {}\n- name: b\n  sriov: {}\n  state: linkDown\n",
			want: `{"items":[{"name":"a","bridge":{}},{"name":"b","sriov":{},"state":"linkDown"}]}`},
		"indented sequence": {doc: "l:\n  - a\n  -   b\n", want: `{"l":["a","b"]}`},
		"comments everywhere": {doc: "# head\na: x # trailing\n  # indented\nb:   # before a nested node\n# column 0\n  c: 'y' # after a quote\n",
			want: `{"a":"x","b":{"c":"y"}}`},
		"document start":    {doc: "--- # first\na: b\n", want: `{"a":"b"}`},
		"only comments":     {doc: "# nothing\n\n# here\n", want: `null`},
		"empty":             {doc: "", want: `null`},
		"empty values":      {doc: "a:\nb: ~\nc: null\n", want: `{"a":null,"b":null,"c":null}`},
		"YAML 1.1 booleans": {doc: "a: yes\nb: Off\nc: y\nd: 'yes'\ne: True\n", want: `{"a":true,"b":false,"c":true,"d":"yes","e":true}`},
		"integers":          {doc: "a: 0x1F\nb: 017\nc: -3\nd: 1_000\ne: +4\nf: 0b11\n", want: `{"a":31,"b":15,"c":-3,"d":1000,"e":4,"f":3}`},
		"strings that look like other things": {doc: "a: 2025-11-04\nb: 02:5e:00:00:00:01\nc: 1.2.3\nd: .git\ne: _1\nf: '5'\n",
			want: `{"a":"2025-11-04","b":"02:5e:00:00:00:01","c":"1.2.3","d":".git","e":"_1","f":"5"}`},
		"keys resolved": {doc: "1: a\ntrue: b\n'x y': c\n\"q\": d\n", want: `{"1":"a","true":"b","x y":"c","q":"d"}`},
		"quoted scalars": {doc: "a: 'it''s'\nb: \"tab\\there \\u00e9 \\\"q\\\" \\\\ \\x41\"\nc: \"# not a comment\"\n",
			want: `{"a":"it's","b":"tab\there é \"q\" \\ A","c":"# not a comment"}`},
		"plain scalars with colons and hashes": {doc: "url: http://x:80/a#b\nt: a b c\n", want: `{"url":"http://x:80/a#b","t":"a b c"}`},
		"literal block scalars": {doc: "a: |\n  line 1\n\n    indented\n  #not a comment\n\nb: |-\n  stripped\nc: |\nd: x\n",
			want: `{"a":"line 1\n\n  indented\n#not a comment\n","b":"stripped","c":"","d":"x"}`},
		"literal in a sequence": {doc: "- |\n  x\n- z\n", want: `["x\n","z"]`},
		"flow collections": {doc: "m: {name: a, bridge: {}, ports: [1, 'x', {p: q}]}\ne: []\n",
			want: `{"m":{"name":"a","bridge":{},"ports":[1,"x",{"p":"q"}]},"e":[]}`},
		"unicode":        {doc: "a: héllo wörld\n", want: `{"a":"héllo wörld"}`},
		"root sequence":  {doc: "- a\n- b: c\n", want: `["a",{"b":"c"}]`},
		"indented root":  {doc: "  a: 1\n  b: 2\n", want: `{"a":1,"b":2}`},
		"no final break": {doc: "a: |\n  x", want: `{"a":"x"}`},

		"anchor and alias":           {doc: "a: &x 1\nb: *x\n"},
		"tag":                        {doc: "a: !!str 1\n"},
		"merge key":                  {doc: "<<: {a: 1}\n"},
		"complex key":                {doc: "? a\n: b\n"},
		"folded scalar":              {doc: "a: >\n  x\n"},
		"kept chomping":              {doc: "a: |+\n  x\n"},
		"indentation indicator":      {doc: "a: |2\n   x\n"},
		"multi-line plain scalar":    {doc: "a: one\n  two\n"},
		"scalar on the next line":    {doc: "a:\n  one\n"},
		"multi-line quoted scalar":   {doc: "a: \"one\n  two\"\n"},
		"multi-line flow":            {doc: "a: {b: c,\n  d: e}\n"},
		"float":                      {doc: "a: 1.5\n"},
		"float-looking octal":        {doc: "a: 09\n"},
		"infinity":                   {doc: "a: .inf\n"},
		"huge integer":               {doc: "a: 18446744073709551615\n"},
		"duplicate key":              {doc: "a: 1\na: 2\n"},
		"keys that collide as JSON":  {doc: "1: a\n'1': b\n"},
		"null key":                   {doc: "~: a\n"},
		"tab":                        {doc: "a:\tb\n"},
		"carriage return":            {doc: "a: b\r\n"},
		"control character":          {doc: "a: \x01\n"},
		"byte order mark":            {doc: "\xef\xbb\xbfa: b\n"},
		"mapping in a value":         {doc: "a: b: c\n"},
		"bad indentation":            {doc: "a:\n    b: 1\n  c: 2\n"},
		"sequence after a mapping":   {doc: "a: 1\n- b\n"},
		"root scalar":                {doc: "just a string\n"},
		"nested compact sequence":    {doc: "- - a\n"},
		"space before the colon":     {doc: "a : b\n"},
		"unknown escape":             {doc: "a: \"\\q\"\n"},
		"leading empty line":         {doc: "a: |\n\n  x\n"},
		"trailing data after a flow": {doc: "a: [b] c\n"},
		"second document":            {doc: "a: 1\n---\nb: 2\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := Convert([]byte(tc.doc))
			if tc.want == "" {
				if ok {
					t.Fatalf("Convert converted (to %s); want it to give up", got)
				}
				return
			}
			if !ok {
				t.Fatal("Convert gave up")
			}
			if diff := cmp.Diff(decodeJSON(t, []byte(tc.want)), decodeJSON(t, got)); diff != "" {
				t.Errorf("(-want +got):\n%s\ngot %s", diff, got)
			}
			expectSameAsSigsYAML(t, []byte(tc.doc))
		})
	}
}

// The documents `webhook check` meets are converted, and as sigs.k8s.io/yaml converts
// them: the generated manifests, the examples, the check fixtures, the chart's values.
func TestConvertManifests(t *testing.T) {
	var docs [][]byte
	for i := range 50 {
		doc, err := yaml.Marshal(workload.Manifest(i))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	files, _ := filepath.Glob("../../examples/*.yaml")
	more, _ := filepath.Glob("../../pkg/check/testdata/*.yaml")
	files = append(append(files, more...), "../../charts/linkstate-webhook/values.yaml")
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			docs = append(docs, []byte(doc+"\n"))
		}
	}
	converted := 0
	for _, doc := range docs {
		if expectSameAsSigsYAML(t, doc) {
			converted++
		}
	}
	if converted < len(docs)*9/10 {
		t.Errorf("converted %d of %d documents; the rest went the slow way", converted, len(docs))
	}
}

// FuzzConvertMatchesSigsYAML: on any input, Convert gives up or gives the JSON value
// sigs.k8s.io/yaml gives, and never accepts what sigs.k8s.io/yaml refuses.
func FuzzConvertMatchesSigsYAML(f *testing.F) {
	for _, seed := range []string{
		"a: 1\nb:\n  c: [x, {y: z}]\n  d:\n  - e: |\n      text\n    f: 'g'\n",
		"- a\n- b: c\n  d: \"\\u00e9\"\n",
		"k: yes\nn: ~\ni: 0x10\ns: 2025-01-01\n# c\n",
	} {
		f.Add([]byte(seed))
	}
	doc, _ := yaml.Marshal(workload.Manifest(3))
	f.Add(doc)
	f.Fuzz(func(t *testing.T, doc []byte) {
		expectSameAsSigsYAML(t, doc)
	})
}

// BenchmarkConvert converts a generated manifest (about 4.5 KB of YAML) with Convert and,
// alternating in blocks, with sigs.k8s.io/yaml; `ratio` is Convert's time over
// sigs.k8s.io/yaml's.
func BenchmarkConvert(b *testing.B) {
	doc, err := yaml.Marshal(workload.Manifest(4))
	if err != nil {
		b.Fatal(err)
	}
	if _, ok := Convert(doc); !ok {
		b.Fatal("Convert gave up on the manifest")
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	var convert, sigs time.Duration
	for done := 0; done < b.N; {
		k := min(32, b.N-done)
		start := time.Now()
		for range k {
			Convert(doc)
		}
		convert += time.Since(start)
		b.StopTimer()
		start = time.Now()
		for range k {
			if _, err := yaml.YAMLToJSON(doc); err != nil {
				b.Fatal(err)
			}
		}
		sigs += time.Since(start)
		b.StartTimer()
		done += k
	}
	b.ReportMetric(float64(convert)/float64(sigs), "ratio")
}
