package jsonprune

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	v1 "kubevirt.io/api/core/v1"
	utiljson "sigs.k8s.io/json"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
)

// The shapes these tests decode into: the ones linkstate's decoders use for VMs, VMIs and
// migrations, typed with kubevirt.io/api.
type (
	objectMeta struct {
		Name              string  `json:"name"`
		GenerateName      string  `json:"generateName"`
		Namespace         string  `json:"namespace"`
		DeletionTimestamp *string `json:"deletionTimestamp"`
	}
	vmiSpec struct {
		Domain struct {
			Devices struct {
				Interfaces []v1.Interface `json:"interfaces"`
			} `json:"devices"`
		} `json:"domain"`
		Networks []v1.Network `json:"networks"`
	}
	vmDocument struct {
		Metadata objectMeta `json:"metadata"`
		Spec     struct {
			Template *struct {
				Spec vmiSpec `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
		Status struct {
			Created         bool                             `json:"created"`
			Ready           bool                             `json:"ready"`
			PrintableStatus v1.VirtualMachinePrintableStatus `json:"printableStatus"`
		} `json:"status"`
	}
	vmiDocument struct {
		Metadata objectMeta `json:"metadata"`
		Spec     vmiSpec    `json:"spec"`
		Status   struct {
			Interfaces []v1.VirtualMachineInstanceNetworkInterface `json:"interfaces"`
		} `json:"status"`
	}
)

func keepTreeOf[T any]() keepTree { return NewDecoder[T]().tree }

// The members the decoding shapes read, spelled out: if a shape gains a field, this
// test shows the tree follows it.
func TestKeepTreeFollowsTheShapes(t *testing.T) {
	meta := keepTree{"name": nil, "generateName": nil, "namespace": nil, "deletionTimestamp": nil}
	spec := keepTree{"domain": keepTree{"devices": keepTree{"interfaces": nil}}, "networks": nil}
	tests := map[string]struct {
		tree keepTree
		want keepTree
	}{
		"VM": {keepTreeOf[vmDocument](), keepTree{
			"metadata": meta,
			"spec":     keepTree{"template": keepTree{"spec": spec}},
			"status":   keepTree{"created": nil, "ready": nil, "printableStatus": nil},
		}},
		"VMI": {keepTreeOf[vmiDocument](), keepTree{"metadata": meta, "spec": spec, "status": keepTree{"interfaces": nil}}},
		// Types that decode themselves, or promote embedded fields, are kept whole.
		"custom unmarshaler": {keepTreeOf[struct {
			Raw json.RawMessage `json:"raw"`
		}](), keepTree{"raw": nil}},
		// An embedded struct promotes its members, as encoding/json reads them.
		"embedded": {keepTreeOf[struct {
			objectMeta
			Spec string `json:"spec"`
		}](), keepTree{"deletionTimestamp": nil, "generateName": nil, "name": nil, "namespace": nil, "spec": nil}},
		"embedded, with a name promoted twice": {keepTreeOf[struct {
			objectMeta
			Name string `json:"name"`
		}](), nil},
		"embedded pointer": {keepTreeOf[struct {
			*objectMeta
		}](), nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.tree); diff != "" {
				t.Errorf("keepTreeOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	tree := keepTreeOf[vmiDocument]()
	tests := map[string]struct {
		raw  string
		want string // "" means prune gives up and the whole object is decoded
	}{
		"keeps what is read, in order": {
			raw:  `{"kind":"x","metadata":{"labels":{"a":"b"},"name":"n"},"spec":{"domain":{"cpu":{},"devices":{"disks":[],"interfaces":[{"name":"a","state":"linkUp"}]}},"volumes":[1],"networks":[{"name":"a"}]}}`,
			want: `{"metadata":{"name":"n"},"spec":{"domain":{"devices":{"interfaces":[{"name":"a","state":"linkUp"}]}},"networks":[{"name":"a"}]}}`,
		},
		"whitespace inside kept values is kept": {
			raw:  " {\n \"metadata\" : { \"name\" : \"n\" } } \n",
			want: `{"metadata":{"name":"n"}}`,
		},
		"duplicates are all kept, for encoding/json to merge": {
			raw:  `{"metadata":{"name":"a"},"metadata":{"namespace":"b"}}`,
			want: `{"metadata":{"name":"a"},"metadata":{"namespace":"b"}}`,
		},
		"a kept member that is not an object is kept whole, for encoding/json to refuse": {
			raw:  `{"spec":[1,{"domain":2}],"metadata":null}`,
			want: `{"spec":[1,{"domain":2}],"metadata":null}`,
		},
		"escaped strings in skipped values": {
			raw:  `{"annotations":"{\"a\":\"\\u00e9\\n\"}","metadata":{}}`,
			want: `{"metadata":{}}`,
		},
		"case differs: not the member": {
			raw:  `{"Metadata":{"name":"n"}}`,
			want: `{}`,
		},
		"numbers and literals": {
			raw:  `{"a":[-0.5e+10,0,12,1E3,true,false,null],"metadata":{"name":"n"}}`,
			want: `{"metadata":{"name":"n"}}`,
		},
		"escaped key":               {raw: `{"m\u0065tadata":{"name":"n"}}`},
		"not an object":             {raw: `[{"metadata":{}}]`},
		"null":                      {raw: `null`},
		"trailing garbage":          {raw: `{"metadata":{}} x`},
		"two values":                {raw: `{}{}`},
		"unterminated":              {raw: `{"metadata":{"name":"n"}`},
		"control character":         {raw: "{\"a\":\"x\ty\"}"},
		"bad escape":                {raw: `{"a":"\x"}`},
		"short unicode escape":      {raw: `{"a":"\u12"}`},
		"leading zero":              {raw: `{"a":01}`},
		"bare minus":                {raw: `{"a":-}`},
		"fraction without digits":   {raw: `{"a":1.}`},
		"exponent without digits":   {raw: `{"a":1e+}`},
		"misspelt literal":          {raw: `{"a":nul}`},
		"trailing comma in object":  {raw: `{"a":1,}`},
		"trailing comma in array":   {raw: `{"a":[1,]}`},
		"missing colon":             {raw: `{"a" 1}`},
		"single quotes":             {raw: `{'a':1}`},
		"too deep for the fast way": {raw: `{"a":` + strings.Repeat("[", maxPruneDepth+1) + strings.Repeat("]", maxPruneDepth+1) + `}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := prune([]byte(tc.raw), tree, false)
			switch {
			case tc.want == "" && ok:
				t.Errorf("prune kept %s, want it to give up", got)
			case tc.want != "" && !ok:
				t.Errorf("prune gave up, want %s", tc.want)
			case tc.want != "" && string(got) != tc.want:
				t.Errorf("prune = %s\nwant    %s", got, tc.want)
			}
		})
	}
}

// FuzzDecodePrunedEqualsFull holds the fast path to encoding/json: for any bytes, decoding
// through prune gives the same object, or the same error, as decoding everything.
func FuzzDecodePrunedEqualsFull(f *testing.F) {
	for _, seed := range []string{
		`{"metadata":{"name":"vm1","namespace":"ns","managedFields":[{"manager":"x"}]},"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"state":"linkDown"}]}},"networks":[{"name":"default","pod":{}}]}}},"status":{"created":true,"printableStatus":"Running"}}`,
		`{"metadata":{"generateName":"vmi-","deletionTimestamp":"2026-01-01T00:00:00Z"},"spec":{"domain":{"devices":{"interfaces":[{"name":"a","sriov":{}}]}},"networks":[{"name":"a","multus":{"networkName":"x"}}]}}`,
		`{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","state":5}]}}}}`,
		`{"spec":{"template":{"spec":{"networks":{"a":1}}}}}`,
		`{"spec":{"template":null},"metadata":{"name":"a"},"metadata":{"namespace":"b"}}`,
		`{"m\u0065tadata":{"name":"n"},"status":{"ready":"yes"}}`,
		`{"metadata":{"annotations":{"linkstate.kubevirt.io/interfaces":"{\"a\":\"linkUp\"}","x":1}},"spec":{"vmiName":"v"}}`,
		`{"a":[-0.5e+10,0,12,1E3,true,false,null,"\u00e9\n"]}`,
		`{"spec":` + strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat(`}`, 100) + `}`,
		`{"KIND":"VirtualMachine","ApiVersion":"v1","METADATA":{"Name":"x"},"kind":"y","items":[{"a":1}]}`,
		"{\"\u212aind\":\"List\",\"apiVersion\":\"v1\"}",
		`[1]`, `null`, `{`, `{"a":01}`, "{\"a\":\"\x01\"}", `{"a":"\ud800"}`, "{\"a\":\"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Add(workloadVM(4))

	f.Fuzz(func(t *testing.T, raw []byte) {
		samePrunedAndFull[vmDocument](t, raw)
		samePrunedAndFull[vmiDocument](t, raw)
		samePrunedAndFull[migrationShape](t, raw)
		sameFoldingAndFull[headShape](t, raw)
	})
}

// sameFoldingAndFull holds the folding decoder to what json.Unmarshal reads.
func sameFoldingAndFull[T any](t *testing.T, raw []byte) {
	t.Helper()
	var fast, full T
	fastErr := NewFoldingDecoder[T]().Unmarshal(raw, &fast)
	fullErr := json.Unmarshal(raw, &full)
	if fmt.Sprint(fastErr) != fmt.Sprint(fullErr) {
		t.Fatalf("%T: error through prune = %v, json.Unmarshal = %v", fast, fastErr, fullErr)
	}
	if fastErr == nil && !reflect.DeepEqual(fast, full) {
		t.Fatalf("%T: through prune %+v, json.Unmarshal %+v", fast, fast, full)
	}
}

// headShape is what the offline check reads of every manifest first, with encoding/json.
type headShape struct {
	metav1.TypeMeta
	Metadata struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
		Namespace    string `json:"namespace"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// The folding decoder keeps what encoding/json may read case-insensitively.
func TestFoldingPrune(t *testing.T) {
	tree := NewFoldingDecoder[headShape]().tree
	tests := map[string]struct{ raw, want string }{
		"exact and folded names, in order": {
			raw:  `{"KIND":"a","spec":{},"kind":"b","MetaData":{"NAME":"n","labels":{}},"Items":[1]}`,
			want: `{"KIND":"a","kind":"b","MetaData":{"NAME":"n"},"Items":[1]}`,
		},
		"a name that is not ASCII is kept whole": {
			raw:  "{\"\u212aind\":\"x\",\"m\u00e9ta\":{\"a\":1},\"other\":2}",
			want: "{\"\u212aind\":\"x\",\"m\u00e9ta\":{\"a\":1}}",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := prune([]byte(tc.raw), tree, true)
			if !ok || string(got) != tc.want {
				t.Errorf("prune = %s (ok %v)\nwant    %s", got, ok, tc.want)
			}
			sameFoldingAndFull[headShape](t, []byte(tc.raw))
		})
	}
}

func samePrunedAndFull[T any](t *testing.T, raw []byte) {
	t.Helper()
	var fast, full T
	fastErr := NewDecoder[T]().Unmarshal(raw, &fast)
	fullErr := utiljson.UnmarshalCaseSensitivePreserveInts(raw, &full)
	if fmt.Sprint(fastErr) != fmt.Sprint(fullErr) {
		t.Fatalf("%T: error through prune = %v, decoding everything = %v", fast, fastErr, fullErr)
	}
	if fastErr == nil && !reflect.DeepEqual(fast, full) {
		t.Fatalf("%T: through prune %+v, decoding everything %+v", fast, fast, full)
	}
}

// migrationShape is what a migration decoder decodes into (a map among the kept members).
type migrationShape struct {
	Metadata struct {
		Name         string            `json:"name"`
		GenerateName string            `json:"generateName"`
		Namespace    string            `json:"namespace"`
		Annotations  map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		VMIName string `json:"vmiName"`
	} `json:"spec"`
}

func workloadVM(n int) []byte {
	raw, err := json.Marshal(workload.VM("vm", "ns", n, false))
	if err != nil {
		panic(err)
	}
	return raw
}

// BenchmarkDecode compares the pruned decode with decoding the whole object, on the
// realistic VM.
func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{4, 1000} {
		raw := workloadVM(n)
		b.Run(fmt.Sprintf("pruned/ifaces=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			dec := NewDecoder[vmDocument]()
			for b.Loop() {
				var doc vmDocument
				if err := dec.Unmarshal(raw, &doc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("whole/ifaces=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				var doc vmDocument
				if err := utiljson.UnmarshalCaseSensitivePreserveInts(raw, &doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
