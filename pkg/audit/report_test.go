package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func subject(kind linkstate.Kind, name string) *Subject {
	return &Subject{Object: &linkstate.Object{Kind: kind, Namespace: "tenant", Name: name}, UID: "uid-1"}
}

func TestBuildReport(t *testing.T) {
	found := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	results := []Result{
		{Policy: "builtin", Rule: "B1", Result: Fail, Field: "spec.template.spec.domain.devices.interfaces[1].state", Message: "sriov"},
		{Policy: "builtin", Rule: "P1", Result: Warn, Message: "probes"},
	}
	s := subject(linkstate.VirtualMachine, "web")
	ref := corev1.ObjectReference{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine", Namespace: "tenant", Name: "web", UID: "uid-1"}
	stamp := metav1.Timestamp{Seconds: found.Unix(), Nanos: 6}
	want := &reportsv1alpha1.Report{
		TypeMeta: metav1.TypeMeta{APIVersion: "openreports.io/v1alpha1", Kind: "Report"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      "linkstate-vm-web",
			Namespace: "tenant",
			Labels: map[string]string{
				"app.kubernetes.io/managed-by":       "linkstate-webhook",
				"linkstate.kubevirt.io/subject-kind": "VirtualMachine",
			},
			Annotations:     map[string]string{HashAnnotation: Hash(s, results)},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine", Name: "web", UID: "uid-1"}},
		},
		Source:  "linkstate-webhook",
		Scope:   &ref,
		Summary: reportsv1alpha1.ReportSummary{Fail: 1, Warn: 1},
		Results: []reportsv1alpha1.ReportResult{
			{Source: "linkstate-webhook", Policy: "builtin", Rule: "B1", Category: Category, Timestamp: stamp, Result: "fail", Scored: true,
				Subjects: []corev1.ObjectReference{ref}, Description: "sriov",
				Properties: map[string]string{"field": "spec.template.spec.domain.devices.interfaces[1].state"}},
			{Source: "linkstate-webhook", Policy: "builtin", Rule: "P1", Category: Category, Timestamp: stamp, Result: "warn", Scored: true,
				Subjects: []corev1.ObjectReference{ref}, Description: "probes"},
		},
	}
	if diff := cmp.Diff(want, BuildReport(s, results, found)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The OpenReports wire format names a result's subjects "resources" and its description
// "message": Policy Reporter reads those keys.
func TestReportWireFormat(t *testing.T) {
	r := BuildReport(subject(linkstate.VirtualMachineInstance, "db"), []Result{{Policy: "builtin", Rule: "V1", Result: Fail, Message: "bad value"}}, time.Unix(0, 0))
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Source  string `json:"source"`
		Results []struct {
			Source    string                   `json:"source"`
			Policy    string                   `json:"policy"`
			Rule      string                   `json:"rule"`
			Result    string                   `json:"result"`
			Message   string                   `json:"message"`
			Resources []corev1.ObjectReference `json:"resources"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 1 {
		t.Fatalf("results %s", raw)
	}
	got := doc.Results[0]
	if doc.Source != "linkstate-webhook" || got.Source != "linkstate-webhook" || got.Policy != "builtin" || got.Rule != "V1" ||
		got.Result != "fail" || got.Message != "bad value" || len(got.Resources) != 1 ||
		got.Resources[0].Kind != "VirtualMachineInstance" || got.Resources[0].Name != "db" || got.Resources[0].UID != "uid-1" {
		t.Errorf("wire format %s", raw)
	}
}

func TestReportName(t *testing.T) {
	if got := ReportName(linkstate.VirtualMachine, "web"); got != "linkstate-vm-web" {
		t.Errorf("VM: %q", got)
	}
	if got := ReportName(linkstate.VirtualMachineInstance, "web"); got != "linkstate-vmi-web" {
		t.Errorf("VMI: %q", got)
	}
	// The longest VM names: cut, still a valid and distinct name.
	long := strings.Repeat("a", 240) + "." + strings.Repeat("b", 12)
	other := strings.Repeat("a", 240) + "." + strings.Repeat("c", 12)
	a, b := ReportName(linkstate.VirtualMachine, long), ReportName(linkstate.VirtualMachine, other)
	for _, n := range []string{a, b} {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			t.Errorf("%q: %v", n, errs)
		}
	}
	if a == b {
		t.Errorf("two long names gave the same Report name %q", a)
	}
	// A cut that would end a label in a dot or dash is trimmed.
	dotted := strings.Repeat("a", 225) + "." + strings.Repeat("b", 40)
	if errs := validation.IsDNS1123Subdomain(ReportName(linkstate.VirtualMachineInstance, dotted)); len(errs) > 0 {
		t.Errorf("%v", errs)
	}
}

func TestHash(t *testing.T) {
	results := []Result{{Policy: "builtin", Rule: "B1", Result: Fail, Message: "m"}}
	s := subject(linkstate.VirtualMachine, "web")
	h := Hash(s, results)
	if Hash(s, append([]Result(nil), results...)) != h {
		t.Error("the same results hash differently")
	}
	if BuildReport(s, results, time.Unix(1, 0)).Annotations[HashAnnotation] != BuildReport(s, results, time.Unix(2, 0)).Annotations[HashAnnotation] {
		t.Error("the time found changes the hash: every rescan would rewrite every Report")
	}
	recreated := subject(linkstate.VirtualMachine, "web")
	recreated.UID = "uid-2"
	changed := []Result{{Policy: "builtin", Rule: "B1", Result: Warn, Message: "m"}}
	for name, other := range map[string]string{"another uid": Hash(recreated, results), "another result": Hash(s, changed)} {
		if other == h {
			t.Errorf("%s: same hash", name)
		}
	}
}
