package audit

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
)

func newVM(ns, name string, ifaces []v1.Interface, nets ...v1.Network) *v1.VirtualMachine {
	return &v1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1.VirtualMachineSpec{
			RunStrategy: ptr.To(v1.RunStrategyAlways),
			Template:    &v1.VirtualMachineInstanceTemplateSpec{Spec: *fixture.Spec(ifaces, nets...)},
		},
	}
}

func newVMI(ns, name string, ifaces []v1.Interface, nets ...v1.Network) *v1.VirtualMachineInstance {
	return &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: *fixture.Spec(ifaces, nets...)}
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := c.Create(context.Background(), o); err != nil {
			t.Fatalf("creating %s: %v", o.GetName(), err)
		}
	}
}

// result is what a test expects of one result of a Report.
type result struct {
	Kind, Name, Policy, Rule, Result, Message string
}

// admissionSays is what linkstate-webhook answers to creating obj in a namespace it
// judges (a server-side dry run: nothing is stored), as results of rules: the denial's
// causes fail, the warnings warn. rules names, in order, the rule of each denial cause
// then of each warning.
func admissionSays(t *testing.T, judged string, obj client.Object, rules ...string) []result {
	t.Helper()
	o := obj.DeepCopyObject().(client.Object)
	o.SetNamespace(judged)
	o.SetResourceVersion("")
	warnings.Take()
	err := c.Create(context.Background(), o, client.DryRunAll)
	var messages []string
	var results []string
	if err != nil {
		var status *apierrors.StatusError
		if !errors.As(err, &status) || status.ErrStatus.Details == nil {
			t.Fatalf("dry-run create of %s: %v", obj.GetName(), err)
		}
		for _, cause := range status.ErrStatus.Details.Causes {
			messages, results = append(messages, cause.Field+": "+cause.Message), append(results, "fail")
		}
	}
	for _, w := range warnings.Take() {
		messages, results = append(messages, w), append(results, "warn")
	}
	if len(messages) != len(rules) {
		t.Fatalf("admission says %d things about %s, the test names %d rules: %q", len(messages), obj.GetName(), len(rules), messages)
	}
	kind := "VirtualMachine"
	if _, ok := obj.(*v1.VirtualMachineInstance); ok {
		kind = "VirtualMachineInstance"
	}
	out := make([]result, len(messages))
	for i := range messages {
		out[i] = result{Kind: kind, Name: obj.GetName(), Policy: "builtin", Rule: rules[i], Result: results[i], Message: messages[i]}
	}
	return out
}

// reports are the Reports linkstate-webhook wrote in ns, by name, reduced to results.
func reports(ns string) (map[string][]result, error) {
	var list reportsv1alpha1.ReportList
	if err := c.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	out := map[string][]result{}
	for _, r := range list.Items {
		if r.Labels["app.kubernetes.io/managed-by"] != "linkstate-webhook" {
			continue
		}
		var rs []result
		for _, res := range r.Results {
			if len(res.Subjects) != 1 || res.Source != "linkstate-webhook" {
				return nil, fmt.Errorf("report %s: result %+v: want source linkstate-webhook and one subject", r.Name, res)
			}
			s := res.Subjects[0]
			if s.Kind != r.Scope.Kind || s.Name != r.Scope.Name || s.UID != r.Scope.UID || s.Namespace != ns {
				return nil, fmt.Errorf("report %s: subject %+v is not its scope %+v", r.Name, s, r.Scope)
			}
			rs = append(rs, result{Kind: s.Kind, Name: s.Name, Policy: res.Policy, Rule: res.Rule, Result: string(res.Result), Message: res.Description})
		}
		if r.Summary.Fail+r.Summary.Warn != len(rs) {
			return nil, fmt.Errorf("report %s: summary %+v for %d results", r.Name, r.Summary, len(rs))
		}
		out[r.Name] = rs
	}
	return out, nil
}

// waitReports waits until the Reports in ns say exactly want (results in any order).
func waitReports(t *testing.T, ns string, want map[string][]result) {
	t.Helper()
	sortResults := func(m map[string][]result) {
		for _, rs := range m {
			slices.SortFunc(rs, func(a, b result) int { return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message)) })
		}
	}
	sortResults(want)
	testwait.Until(t, "the Reports in "+ns, 30*time.Second, func() error {
		got, err := reports(ns)
		if err != nil {
			return err
		}
		sortResults(got)
		if diff := gocmp.Diff(want, got); diff != "" {
			return fmt.Errorf("(-want +got):\n%s", diff)
		}
		return nil
	})
}

// scrape reads the samples of one metric family from a /metrics endpoint: labels
// (rendered as in the exposition) → value.
func scrape(t *testing.T, addr, family string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scraping %s: %v", addr, err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, family) {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		rest := strings.TrimPrefix(series, family)
		if !ok || (rest != "" && !strings.HasPrefix(rest, "{")) {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out[rest] = v
	}
	return out
}
