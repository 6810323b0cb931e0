package adversarial

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

const (
	attemptsMarker = "<!-- attempts: test/adversarial renders this table from the attempts it runs -->"
	failureMarker  = "<!-- failure-behaviour: test/adversarial/readme_test.go checks names, failurePolicy and timeouts against config/ -->"
)

// The README's table of attempts is exactly the suite's, in its order.
func TestREADMEListsEveryAttempt(t *testing.T) {
	var want []string
	want = append(want, "| # | as | attempt | command | kubectl answers | stored afterwards |", "|---|---|---|---|---|---|")
	for i, a := range attempts() {
		want = append(want, row(fmt.Sprint(i+1), a.as.who, a.what, "`"+commandLine(a.args)+"`", a.answer(), a.stored.shows))
	}
	got := readmeTable(t, attemptsMarker)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README.md's table of attempts differs from the suite's (-suite +README):\n%s\nthe table as the suite runs it:\n%s",
			diff, strings.Join(want, "\n"))
	}
}

// The README's failure behaviour lists every shipped webhook and the opt-out policy once,
// with the failurePolicy and timeout config/ gives them.
func TestREADMEFailureBehaviour(t *testing.T) {
	mutating, validating, err := harness.ReadShippedWebhooks()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{} // name -> failurePolicy, timeout
	for _, c := range mutating {
		for _, w := range c.Webhooks {
			want[w.Name] = [2]string{string(*w.FailurePolicy), fmt.Sprintf("%d s", *w.TimeoutSeconds)}
		}
	}
	for _, c := range validating {
		for _, w := range c.Webhooks {
			want[w.Name] = [2]string{string(*w.FailurePolicy), fmt.Sprintf("%d s", *w.TimeoutSeconds)}
		}
	}
	policy := shippedOptOutPolicy(t)
	want[policy.Name] = [2]string{string(*policy.Spec.FailurePolicy), "none: evaluated in the API server"}

	got := map[string][2]string{}
	for _, line := range readmeTable(t, failureMarker)[2:] {
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 5 {
			t.Fatalf("failure-behaviour row %q: want 5 cells", line)
		}
		name, _, _ := strings.Cut(strings.TrimSpace(cells[0]), " ")
		name = strings.Trim(name, "`")
		if _, dup := got[name]; dup {
			t.Errorf("failure-behaviour table lists %s twice", name)
		}
		got[name] = [2]string{strings.TrimSpace(cells[2]), strings.TrimSpace(cells[3])}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README.md's failure behaviour differs from config/ (-config +README):\n%s", diff)
	}
}

func row(cells ...string) string {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

// readmeTable is the table that follows marker in README.md, one string per line.
func readmeTable(t *testing.T, marker string) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(harness.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), marker+"\n")
	if !ok {
		t.Fatalf("README.md has no %q", marker)
	}
	var lines []string
	for _, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		lines = append(lines, line)
	}
	if len(lines) < 2 {
		t.Fatalf("README.md has no table after %q", marker)
	}
	return lines
}

// shippedOptOutPolicy is the ValidatingAdmissionPolicy in config/optout/policy.yaml.
func shippedOptOutPolicy(t *testing.T) *admissionregistrationv1.ValidatingAdmissionPolicy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(harness.Root(), "config", "optout", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			t.Fatal("config/optout/policy.yaml has no ValidatingAdmissionPolicy")
		}
		if err != nil {
			t.Fatal(err)
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Kind != "ValidatingAdmissionPolicy" {
			continue
		}
		policy := &admissionregistrationv1.ValidatingAdmissionPolicy{}
		if err := yaml.UnmarshalStrict(doc, policy); err != nil {
			t.Fatal(err)
		}
		return policy
	}
}
