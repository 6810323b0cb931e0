package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// kinds are the KubeVirt kinds the examples hold, with their resource and kubectl short name.
var kinds = map[string]struct {
	resource schema.GroupVersionResource
	short    string
}{
	"VirtualMachine":         {schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}, "vm"},
	"VirtualMachineInstance": {schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstances"}, "vmi"},
}

// examplesDir is where the example manifests live.
func examplesDir() string { return filepath.Join(harness.Root(), "examples") }

// scenarioResult is how one example went.
type scenarioResult struct {
	file     string
	problems []string // every way a step differed from its expectation; empty: as expected
}

func (r scenarioResult) ok() bool { return len(r.problems) == 0 }

// runExamples plays every scenario in namespace ns (created if missing) against the API
// server behind cfg, printing what happens. It stops early, with ctx's error, only when ctx
// ends; an example that misbehaves is reported in its result, not as an error.
// The commands printed are what a person can paste to do the same: kubectl with the
// demo's kubeconfig and namespace.
func runExamples(ctx context.Context, cfg *rest.Config, kubeconfig, ns string, p *printer) ([]scenarioResult, error) {
	warnings := &harness.WarningRecorder{}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandlerWithContext = warnings
	// client-go's default limit (5 requests/s after a burst of 10) would make the later
	// examples wait on the client, not on the API server or the webhook.
	cfg.QPS, cfg.Burst = 100, 100
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if err := createNamespace(ctx, client, ns); err != nil {
		return nil, err
	}
	r := &runner{client: client, ns: ns, warnings: warnings, p: p, kubectl: kubectl() + " --kubeconfig " + kubeconfig + " -n " + ns}
	var results []scenarioResult
	for i, sc := range scenarios {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		results = append(results, r.play(ctx, fmt.Sprintf("%d/%d", i+1, len(scenarios)), sc))
	}
	return results, ctx.Err()
}

func createNamespace(ctx context.Context, client dynamic.Interface, name string) error {
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	}}
	_, err := client.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).
		Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

type runner struct {
	client   dynamic.Interface
	ns       string
	warnings *harness.WarningRecorder
	p        *printer
	// kubectl is the command line that reaches the demo's API server and namespace.
	kubectl string
}

// play runs one scenario's steps in order; seq is its place among all ("3/10").
func (r *runner) play(ctx context.Context, seq string, sc scenario) scenarioResult {
	res := scenarioResult{file: sc.file}
	obj, err := readExample(sc.file)
	var about []string
	if err == nil {
		about, err = description(sc.file)
	}
	if err == nil {
		if _, ok := kinds[obj.GetKind()]; !ok {
			err = fmt.Errorf("%s: kind %q is not one the demo knows", sc.file, obj.GetKind())
		}
	}
	if err != nil {
		// Nothing to send: later steps would build on an object that was never created.
		r.p.scenarioHeader(seq, sc.file, "", "", nil)
		res.problems = []string{err.Error()}
		r.p.verdict(res.problems)
		return res
	}
	r.p.scenarioHeader(seq, sc.file, obj.GetKind(), obj.GetName(), about)
	kind := kinds[obj.GetKind()]
	resource := r.client.Resource(kind.resource).Namespace(r.ns)
	if len(sc.steps) > 1 {
		defer r.p.nested()()
	}
	for i, st := range sc.steps {
		if len(sc.steps) > 1 {
			r.p.stepTitle(i+1, st.title)
		}
		r.warnings.Take() // only this step's warnings count
		var cmd string
		if st.do.body == "" {
			cmd = r.kubectl + " create -f " + displayPath(filepath.Join(examplesDir(), sc.file))
			_, err = resource.Create(ctx, obj.DeepCopy(), metav1.CreateOptions{FieldValidation: "Strict"})
		} else {
			cmd = r.kubectl + " " + kubectlPatch(kind.short, obj.GetName(), st.do)
			var sub []string
			if st.do.subresource != "" {
				sub = []string{st.do.subresource}
			}
			_, err = resource.Patch(ctx, obj.GetName(), st.do.typ, []byte(st.do.body),
				metav1.PatchOptions{FieldValidation: "Strict"}, sub...)
		}
		got := observed{err: err, warnings: r.warnings.Take()}
		// Read back what the API server stored, whatever the answer was: a denial must
		// leave it untouched.
		got.stored, got.readErr = resource.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(got.readErr) {
			got.stored, got.readErr = nil, nil
		}
		problems := st.want.compare(got, i == 0)
		r.p.request(cmd, obj.GetKind(), obj.GetName(), st.do.body != "", got)
		r.p.verdict(problems)
		res.problems = append(res.problems, prefixed(sc.steps, i, problems)...)
	}
	return res
}

// prefixed names the step of a multi-step scenario in its problems.
func prefixed(steps []step, i int, problems []string) []string {
	if len(steps) == 1 {
		return problems
	}
	out := make([]string, len(problems))
	for j, p := range problems {
		out[j] = fmt.Sprintf("step %d (%s): %s", i+1, steps[i].title, p)
	}
	return out
}

// readExample parses one example file: a single object, namespace left to the demo.
func readExample(file string) (*unstructured.Unstructured, error) {
	data, err := os.ReadFile(filepath.Join(examplesDir(), file))
	if err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &obj.Object); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if obj.GetName() == "" || obj.GetNamespace() != "" {
		return nil, fmt.Errorf("%s: an example needs a name and no namespace (the demo picks one)", file)
	}
	return obj, nil
}

// description is the leading comment of an example file, without the comment markers.
func description(file string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(examplesDir(), file))
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(line, "#"), " "))
	}
	return lines, nil
}

// observed is what one request led to.
type observed struct {
	err      error
	warnings []string
	stored   *unstructured.Unstructured // nil when nothing is stored under the name
	readErr  error
}

// kubectlPatch is the kubectl patch arguments equivalent to a step's patch.
func kubectlPatch(short, name string, p patch) string {
	typ := "merge"
	if p.typ == types.JSONPatchType {
		typ = "json"
	}
	cmd := fmt.Sprintf("patch %s %s", short, name)
	if p.subresource != "" {
		cmd += " --subresource=" + p.subresource
	}
	return cmd + " --type=" + typ + " -p '" + p.body + "'"
}

// displayPath shows path relative to the working directory when it is below it, so that
// the commands printed can be pasted where the demo was started.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return rel
}
