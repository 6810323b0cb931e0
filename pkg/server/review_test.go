package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// servedPair is, for one path, the handler served and what was served before it:
// controller-runtime's admission.Webhook around the same instrumented reviewer.
type servedPair struct {
	path            string
	handler, before http.Handler
}

func servedPairs(t testing.TB) []servedPair {
	t.Helper()
	migrations := migration.Options{VMIs: migration.VMISet{}, LookupTimeout: time.Second}
	reviewers := Reviewers(linkstate.Static(linkstate.DefaultConfig()), migrations, nil)
	handlers := Handlers(linkstate.Static(linkstate.DefaultConfig()), migrations, nil)
	var pairs []servedPair
	for path, r := range reviewers {
		pairs = append(pairs, servedPair{path: path, handler: handlers[path],
			before: LimitBody(&admission.Webhook{Handler: instrument(name(path), r)}, MaxReviewBytes)})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].path < pairs[j].path })
	return pairs
}

// answer is everything a client sees of one answer.
type answer struct {
	Status int
	Header http.Header
	Body   string
}

func serveRecorded(h http.Handler, req *http.Request) answer {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	return answer{Status: res.StatusCode, Header: res.Header, Body: rec.Body.String()}
}

// post is a review as the API server posts it, or with the given content type.
func post(path string, body []byte, contentType string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path+"?timeout=10s", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	return req
}

// expectSameAnswers posts body to both handlers of every pair and requires the same
// status, headers and bytes.
func expectSameAnswers(t *testing.T, pairs []servedPair, what string, body []byte, contentType string) {
	t.Helper()
	for _, p := range pairs {
		got := serveRecorded(p.handler, post(p.path, body, contentType))
		want := serveRecorded(p.before, post(p.path, body, contentType))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s to %s: answers differ (-admission.Webhook +served):\n%s\nbody: %.300q", what, p.path, diff, body)
		}
	}
}

// reviewOf wraps an object (JSON) in an AdmissionReview.
func reviewOf(kind, op, object, old string) []byte {
	gvk := `{"group":"kubevirt.io","version":"v1","kind":"` + kind + `"}`
	r := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":` + gvk +
		`,"requestKind":` + gvk + `,"namespace":"ns","operation":"` + op + `","userInfo":{"username":"alice","groups":["g"]}`
	if object != "" {
		r += `,"object":` + object
	}
	if old != "" {
		r += `,"oldObject":` + old
	}
	return []byte(r + `,"dryRun":false}}`)
}

// reviewBodies are the reviews both handlers must answer alike: realistic VM reviews, every
// example manifest as a create and an update of each kind's paths, the FuzzServeHTTP corpus,
// and reviews shaped to take each of ReviewHandler's ways out.
func reviewBodies(t *testing.T) map[string][]byte {
	t.Helper()
	bodies := map[string][]byte{}
	for _, n := range []int{1, 4, 16} {
		bodies["workload/create/"+strconv.Itoa(n)] = workload.CreateReview(n, false)
		bodies["workload/create-defaulted/"+strconv.Itoa(n)] = workload.CreateReview(n, true)
		bodies["workload/update/"+strconv.Itoa(n)] = workload.UpdateReview(n)
	}
	examples, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples (%v)", err)
	}
	for _, file := range examples {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(data), "\n---") {
			obj, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil || string(obj) == "null" {
				continue
			}
			name := filepath.Base(file) + "#" + strconv.Itoa(i)
			for _, kind := range []string{"VirtualMachine", "VirtualMachineInstance", "VirtualMachineInstanceMigration"} {
				bodies[name+"/create/"+kind] = reviewOf(kind, "CREATE", string(obj), "")
				bodies[name+"/update/"+kind] = reviewOf(kind, "UPDATE", string(obj), string(obj))
			}
		}
	}
	corpus, err := filepath.Glob("testdata/fuzz/FuzzServeHTTP/*")
	if err != nil || len(corpus) == 0 {
		t.Fatalf("no FuzzServeHTTP corpus (%v)", err)
	}
	for _, file := range corpus {
		bodies["corpus/"+filepath.Base(file)] = readCorpusBytes(t, file)
	}
	vm := `{"metadata":{"name":"a"},"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"x","bridge":{}}]}}}}}}`
	for name, body := range map[string]string{
		"v1beta1":                    strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), "admission.k8s.io/v1", "admission.k8s.io/v1beta1", 1),
		"no apiVersion nor kind":     `{"request":{"uid":"u","kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},"operation":"CREATE","object":` + vm + `}}`,
		"another kind":               strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), `"kind":"AdmissionReview"`, `"kind":"Pod"`, 1),
		"case-folded apiVersion":     strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), `"apiVersion"`, `"APIVERSION"`, 1),
		"a second, case-folded kind": strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), `"kind":"AdmissionReview"`, `"kind":"AdmissionReview","KIND":"Pod"`, 1),
		"a Kelvin-sign kind":         strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), `"kind":"AdmissionReview"`, "\"kind\":\"AdmissionReview\",\"\u212aind\":\"Pod\"", 1),
		"request null":               `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null}`,
		"no request":                 `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`,
		"object null":                string(reviewOf("VirtualMachine", "CREATE", "null", "")),
		"object a string":            string(reviewOf("VirtualMachine", "CREATE", `"vm"`, "")),
		"Object capitalised":         strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), `"object"`, `"Object"`, 1),
		"escaped object key":         strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), `"object"`, `"obj\u0065ct"`, 1),
		"object twice":               strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), `"object":`, `"object":null,"object":`, 1),
		"uid a number":               strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), `"uid":"u-1"`, `"uid":5`, 1),
		"malformed object":           string(reviewOf("VirtualMachine", "CREATE", `{"spec":`, "")),
		"trailing garbage":           string(reviewOf("VirtualMachine", "CREATE", vm, "")) + "x",
		"YAML":                       "apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  uid: y\n  operation: DELETE\n",
		"deep nesting":               `{"request":{"uid":"d","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}`,
		"spaces everywhere":          " { \"request\" : { \"uid\" : \"s\" , \"kind\" : {\"group\":\"kubevirt.io\",\"kind\":\"VirtualMachine\"} , \"operation\":\"CREATE\", \"object\" : " + vm + " } } \n",
		"an array":                   `[]`,
		"empty":                      ``,
		"update with a broken old":   string(reviewOf("VirtualMachine", "UPDATE", vm, `{"spec":[}`)),
		"delete with only an old":    string(reviewOf("VirtualMachine", "DELETE", "", vm)),
		"dry run":                    strings.Replace(string(reviewOf("VirtualMachine", "CREATE", vm, "")), `"dryRun":false`, `"dryRun":true`, 1),
		"subresource":                strings.Replace(string(reviewOf("VirtualMachine", "UPDATE", vm, vm)), `"operation"`, `"subResource":"status","operation"`, 1),
		"HTML in a value is escaped": string(reviewOf("VirtualMachine", "CREATE", strings.Replace(vm, `"name":"x"`, `"name":"<x&y>","state":"<b>"`, 1), "")),
	} {
		bodies[name] = []byte(body)
	}
	return bodies
}

// readCorpusBytes reads a Go fuzz corpus file holding one []byte.
func readCorpusBytes(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(data), "\n")
	quoted := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(rest), "[]byte("), ")")
	b, err := strconv.Unquote(quoted)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return []byte(b)
}

func TestReviewHandlerMatchesWebhook(t *testing.T) {
	pairs := servedPairs(t)
	bodies := reviewBodies(t)
	names := make([]string, 0, len(bodies))
	for name := range bodies {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		expectSameAnswers(t, pairs, name, bodies[name], "application/json")
	}
	vm := workload.CreateReview(1, false)
	expectSameAnswers(t, pairs, "wrong content type", vm, "application/yaml")
	expectSameAnswers(t, pairs, "no content type", vm, "")

	for _, p := range pairs {
		noBody := func() *http.Request { r := post(p.path, nil, "application/json"); r.Body = http.NoBody; return r }
		if diff := cmp.Diff(serveRecorded(p.before, noBody()), serveRecorded(p.handler, noBody())); diff != "" {
			t.Errorf("no body to %s (-admission.Webhook +served):\n%s", p.path, diff)
		}
		broken := func() *http.Request {
			r := post(p.path, nil, "application/json")
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(vm[:100]), errReader{errors.New("connection reset")}))
			r.ContentLength = int64(len(vm))
			return r
		}
		if diff := cmp.Diff(serveRecorded(p.before, broken()), serveRecorded(p.handler, broken())); diff != "" {
			t.Errorf("body broken off to %s (-admission.Webhook +served):\n%s", p.path, diff)
		}
	}
}

// A panicking reviewer is answered as admission.Webhook answers it: an error in the
// review, the server unharmed.
func TestReviewHandlerRecoversPanics(t *testing.T) {
	panicking := instrument("panicking", reviewerFunc(func(context.Context, admission.Request) review.Verdict { panic("boom") }))
	pair := []servedPair{{path: "/panic", handler: NewReviewHandler(panicking), before: &admission.Webhook{Handler: panicking}}}
	body := workload.CreateReview(1, false)
	expectSameAnswers(t, pair, "a panicking reviewer", body, "application/json")
	got := serveRecorded(pair[0].handler, post("/panic", body, "application/json"))
	if !strings.Contains(got.Body, `"code":500`) || !strings.Contains(got.Body, "panic: boom [recovered]") || !strings.Contains(got.Body, workload.CreateUID) {
		t.Errorf("answer to a panic: %s", got.Body)
	}
}

type reviewerFunc func(context.Context, admission.Request) review.Verdict

func (f reviewerFunc) Review(ctx context.Context, req admission.Request) review.Verdict {
	return f(ctx, req)
}

// FuzzReviewHandlerMatchesWebhook posts arbitrary bytes to both handlers of every path.
func FuzzReviewHandlerMatchesWebhook(f *testing.F) {
	f.Add(workload.CreateReview(1, false))
	f.Add(reviewOf("VirtualMachineInstance", "UPDATE", `{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","sriov":{},"state":"down"}]}}}}`, `{}`))
	f.Add(reviewOf("VirtualMachineInstanceMigration", "CREATE", `{"metadata":{"annotations":{"linkstate.kubevirt.io/interfaces":"{}"}},"spec":{"vmiName":"v"}}`, ""))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1beta1","request":{"uid":"u","object":null,"oldObject":{}}}`))
	pairs := servedPairs(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		expectSameAnswers(t, pairs, "fuzzed", body, "application/json")
	})
}

// reviewDecoder is admission.Webhook's: the universal deserializer of a scheme that knows
// both AdmissionReview versions, decoding into a type it does not know.
var reviewDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	utilruntime.Must(admissionv1.AddToScheme(scheme))
	utilruntime.Must(admissionv1beta1.AddToScheme(scheme))
	return serializer.NewCodecFactory(scheme).UniversalDeserializer()
}()

type unversionedReview struct{ admissionv1.AdmissionReview }

func (u *unversionedReview) DeepCopyObject() runtime.Object { return u }

// decodeReview reads what controller-runtime's deserializer reads from the whole body, and
// takes the short way for every review an API server sends.
func TestDecodeReviewMatchesControllerRuntime(t *testing.T) {
	for name, body := range reviewBodies(t) {
		req, gvk, ok := decodeReview(body)
		mustTakeShortWay := strings.HasPrefix(name, "workload/") || strings.Contains(name, ".yaml#")
		if !ok {
			if mustTakeShortWay {
				t.Errorf("%s: decodeReview declined an API server's review", name)
			}
			continue
		}
		var want admission.Request
		full := unversionedReview{}
		full.Request = &want.AdmissionRequest
		_, wantGVK, err := reviewDecoder.Decode(body, nil, &full)
		if err != nil {
			t.Errorf("%s: decodeReview read what the deserializer refuses (%v)", name, err)
			continue
		}
		if full.Request == nil {
			want = admission.Request{}
		}
		if diff := cmp.Diff(want, req); diff != "" {
			t.Errorf("%s: request (-deserializer +decodeReview):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantGVK, gvk); diff != "" {
			t.Errorf("%s: version (-deserializer +decodeReview):\n%s", name, diff)
		}
	}
}
