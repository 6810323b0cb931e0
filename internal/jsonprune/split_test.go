package jsonprune

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	utiljson "sigs.k8s.io/json"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
)

var (
	reviewPath = []string{"request"}
	reviewCut  = []string{"object", "oldObject"}
)

func TestSplit(t *testing.T) {
	tests := map[string]struct {
		raw      string
		wantRest string
		want     []string // the values, "" for nil
		wantOK   bool
	}{
		"objects cut out, the rest copied": {
			raw:      `{"apiVersion":"v1", "request": {"uid": "u", "object": {"a": [1, {"b": "}"}]}, "oldObject" : null, "dryRun": false}}`,
			wantRest: `{"apiVersion":"v1","request":{"uid":"u","dryRun":false}}`,
			want:     []string{`{"a": [1, {"b": "}"}]}`, `null`}, wantOK: true,
		},
		"members of the same name elsewhere are kept": {
			raw:      `{"object": 1, "request": {"options": {"object": 2}, "object": "s"}}`,
			wantRest: `{"object":1,"request":{"options":{"object": 2}}}`,
			want:     []string{`"s"`, ""}, wantOK: true,
		},
		"no request: nothing cut": {
			raw: ` {"kind": "AdmissionReview"} `, wantRest: `{"kind":"AdmissionReview"}`, want: []string{"", ""}, wantOK: true,
		},
		"request not an object: nothing cut": {
			raw: `{"request": ["object"]}`, wantRest: `{"request":["object"]}`, want: []string{"", ""}, wantOK: true,
		},
		"empty objects":                   {raw: `{"request":{}}`, wantRest: `{"request":{}}`, want: []string{"", ""}, wantOK: true},
		"an escaped key on the path":      {raw: `{"requ\u0065st": {"object": {}}}`},
		"an escaped key at the cut level": {raw: `{"request": {"obj\u0065ct": {}}}`},
		"an escaped key elsewhere is fine": {
			raw: `{"request": {"object": {"\u0041": 1}}}`, wantRest: `{"request":{}}`, want: []string{`{"\u0041": 1}`, ""}, wantOK: true,
		},
		"a cut member twice":            {raw: `{"request": {"object": {}, "object": null}}`},
		"the path twice":                {raw: `{"request": null, "request": {"object": {}}}`},
		"malformed inside a cut member": {raw: `{"request": {"object": {"a": tru}}}`},
		"malformed elsewhere":           {raw: `{"request": {}, "x": [1,]}`},
		"trailing data":                 {raw: `{"request": {}} {}`},
		"not an object":                 {raw: `[{"request": {}}]`},
		"control character in a string": {raw: "{\"request\": {\"object\": \"a\tb\"}}"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rest, values, ok := Split([]byte(tc.raw), reviewPath, reviewCut...)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if string(rest) != tc.wantRest {
				t.Errorf("rest = %s\nwant   %s", rest, tc.wantRest)
			}
			var got []string
			for _, v := range values {
				got = append(got, string(v))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzSplitEqualsFull holds Split to its promise on arbitrary bytes: when it answers, raw
// is valid JSON, decoding rest gives what decoding raw gives without the cut members, and
// each value is the cut member's value.
func FuzzSplitEqualsFull(f *testing.F) {
	f.Add(workload.CreateReview(1, false))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","request":{"uid":"u","object":{"a":1},"oldObject":null,"Object":2}}`))
	f.Add([]byte(`{"request":{"object":"x","options":{"object":[]}},"request2":{"object":1}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		rest, values, ok := Split(raw, reviewPath, reviewCut...)
		if !ok {
			return
		}
		var whole map[string]any
		if err := utiljson.UnmarshalCaseSensitivePreserveInts(raw, &whole); err != nil {
			t.Fatalf("Split accepted what does not decode (%v): %q", err, raw)
		}
		want := make([]any, len(reviewCut))
		cutValues := make([]bool, len(reviewCut))
		if request, isObject := whole["request"].(map[string]any); isObject {
			for i, name := range reviewCut {
				if v, present := request[name]; present {
					want[i], cutValues[i] = v, true
					delete(request, name)
				}
			}
		}
		var got map[string]any
		if err := utiljson.UnmarshalCaseSensitivePreserveInts(rest, &got); err != nil {
			t.Fatalf("rest does not decode (%v): %q", err, rest)
		}
		if diff := cmp.Diff(whole, got); diff != "" {
			t.Fatalf("rest decodes differently (-raw without the cut members +rest):\n%s", diff)
		}
		for i, v := range values {
			if (v != nil) != cutValues[i] {
				t.Fatalf("value of %s = %q, present in raw: %v", reviewCut[i], v, cutValues[i])
			}
			if v == nil {
				continue
			}
			var gotValue any
			if err := utiljson.UnmarshalCaseSensitivePreserveInts(v, &gotValue); err != nil {
				t.Fatalf("value of %s does not decode (%v): %q", reviewCut[i], err, v)
			}
			if diff := cmp.Diff(want[i], gotValue); diff != "" {
				t.Fatalf("value of %s (-in raw +cut):\n%s", reviewCut[i], diff)
			}
		}
	})
}
