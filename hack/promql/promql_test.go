// Package promql checks the chart's dashboard and alerts with Prometheus's own PromQL
// parser: every query of every panel, template variable and alert rule, as `helm template`
// renders them, must parse. It also keeps used-metrics.txt, the metrics (and the labels
// they are selected or grouped by) those queries read; test/audit, in the main module,
// checks that the webhook binary exports each of them. This is a module of its own
// because github.com/prometheus/prometheus requires a newer Kubernetes line than the
// webhook builds on.
package promql

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite used-metrics.txt from the chart's queries")

const usedMetricsFile = "used-metrics.txt"

// query is one PromQL expression and where it is.
type query struct {
	where, expr string
}

// Grafana replaces these before a query reaches Prometheus; a range of 5m stands in.
var grafanaIntervals = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "5m", "$__range", "5m")

// labelValues is Grafana's variable query function, label_values(SELECTOR, LABEL): only
// SELECTOR is PromQL.
var labelValues = regexp.MustCompile(`^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// The labels Prometheus gives every series of a scrape target: not the binary's.
var targetLabels = map[string]bool{"namespace": true, "job": true, "pod": true, "instance": true, "service": true, "endpoint": true, "container": true}

func render(t *testing.T) []map[string]any {
	t.Helper()
	helm := os.Getenv("HELM")
	if helm == "" {
		t.Fatal("HELM is not set: run `make audit-test`, or `export HELM=$(./hack/tools.sh helm)`")
	}
	chart := filepath.Join("..", "..", "charts", "linkstate-webhook")
	cmd := exec.Command(helm, "template", "lw", chart, "--namespace", "vm-admission",
		"--set", "metrics.dashboard.enabled=true", "--set", "metrics.prometheusRule.enabled=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	var docs []map[string]any
	for _, doc := range strings.Split(string(out), "\n---") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, doc)
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
	return docs
}

func find(t *testing.T, docs []map[string]any, kind, name string) map[string]any {
	t.Helper()
	for _, d := range docs {
		meta, _ := d["metadata"].(map[string]any)
		if d["kind"] == kind && meta["name"] == name {
			return d
		}
	}
	t.Fatalf("the chart renders no %s %s", kind, name)
	return nil
}

// dashboardQueries are the panels' and the template variables' queries.
func dashboardQueries(t *testing.T, dashboard map[string]any) []query {
	t.Helper()
	var out []query
	var walk func(panels []any)
	ids := map[float64]bool{}
	walk = func(panels []any) {
		for _, p := range panels {
			panel := p.(map[string]any)
			title, _ := panel["title"].(string)
			id, _ := panel["id"].(float64)
			if ids[id] {
				t.Errorf("panel %q: id %v used twice", title, id)
			}
			ids[id] = true
			grid, _ := panel["gridPos"].(map[string]any)
			if x, w := grid["x"].(float64), grid["w"].(float64); w <= 0 || x+w > 24 {
				t.Errorf("panel %q: gridPos %v outside Grafana's 24 columns", title, grid)
			}
			if panel["type"] != "row" {
				ds, _ := panel["datasource"].(map[string]any)
				if ds["uid"] != "${datasource}" {
					t.Errorf("panel %q: datasource %v, want the ${datasource} variable", title, panel["datasource"])
				}
				targets, _ := panel["targets"].([]any)
				if len(targets) == 0 {
					t.Errorf("panel %q has no query", title)
				}
				for _, target := range targets {
					expr, _ := target.(map[string]any)["expr"].(string)
					out = append(out, query{where: "dashboard panel " + title, expr: grafanaIntervals.Replace(expr)})
				}
			}
			if nested, ok := panel["panels"].([]any); ok {
				walk(nested)
			}
		}
	}
	walk(dashboard["panels"].([]any))
	templating, _ := dashboard["templating"].(map[string]any)
	for _, v := range templating["list"].([]any) {
		variable := v.(map[string]any)
		if variable["type"] != "query" {
			continue
		}
		q, _ := variable["query"].(map[string]any)
		text, _ := q["query"].(string)
		m := labelValues.FindStringSubmatch(text)
		if m == nil {
			t.Errorf("variable %v: query %q is not label_values(SELECTOR, LABEL)", variable["name"], text)
			continue
		}
		out = append(out, query{where: fmt.Sprintf("dashboard variable %v", variable["name"]), expr: m[1]})
	}
	return out
}

func ruleQueries(rule map[string]any) []query {
	var out []query
	spec := rule["spec"].(map[string]any)
	for _, g := range spec["groups"].([]any) {
		group := g.(map[string]any)
		for _, r := range group["rules"].([]any) {
			rule := r.(map[string]any)
			out = append(out, query{where: fmt.Sprintf("alert %v", rule["alert"]), expr: rule["expr"].(string)})
		}
	}
	return out
}

// used collects, from one parsed expression, each metric it reads and the labels it
// selects it by or groups it by (a grouping counts for a metric when it is the only one
// under the aggregation).
func used(expr parser.Expr, into map[string]map[string]bool) {
	add := func(metric string, labels ...string) {
		if into[metric] == nil {
			into[metric] = map[string]bool{}
		}
		for _, l := range labels {
			if !targetLabels[l] && l != "__name__" {
				into[metric][l] = true
			}
		}
	}
	metricsUnder := func(n parser.Node) []string {
		var names []string
		parser.Inspect(n, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok && !slices.Contains(names, vs.Name) {
				names = append(names, vs.Name)
			}
			return nil
		})
		return names
	}
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			add(n.Name)
			for _, m := range n.LabelMatchers {
				add(n.Name, m.Name)
			}
		case *parser.AggregateExpr:
			if names := metricsUnder(n.Expr); len(names) == 1 && !n.Without {
				add(names[0], n.Grouping...)
			}
		}
		return nil
	})
}

func TestDashboardAndAlertsParse(t *testing.T) {
	docs := render(t)
	configMap := find(t, docs, "ConfigMap", "lw-linkstate-webhook-dashboard")
	labels := configMap["metadata"].(map[string]any)["labels"].(map[string]any)
	if labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels %v: Grafana's sidecar looks for grafana_dashboard: \"1\"", labels)
	}
	var dashboard map[string]any
	if err := json.Unmarshal([]byte(configMap["data"].(map[string]any)["linkstate-webhook.json"].(string)), &dashboard); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	queries := append(dashboardQueries(t, dashboard), ruleQueries(find(t, docs, "PrometheusRule", "lw-linkstate-webhook"))...)

	p := parser.NewParser(parser.Options{})
	metrics := map[string]map[string]bool{}
	for _, q := range queries {
		expr, err := p.ParseExpr(q.expr)
		if err != nil {
			t.Errorf("%s: %v\n%s", q.where, err, q.expr)
			continue
		}
		used(expr, metrics)
	}
	if len(queries) < 20 {
		t.Errorf("only %d queries found: the walk over the dashboard and the alerts missed some", len(queries))
	}

	var lines []string
	for name, labels := range metrics {
		line := name
		for _, l := range slices.Sorted(func(yield func(string) bool) {
			for l := range labels {
				if !yield(l) {
					return
				}
			}
		}) {
			line += " " + l
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	got := "# Metrics the chart's dashboard and alerts read, and the labels they select or group them by\n" +
		"# (go test ./hack/promql -update rewrites it; test/audit checks the binary exports them).\n" +
		strings.Join(lines, "\n") + "\n"
	if *update {
		if err := os.WriteFile(usedMetricsFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(usedMetricsFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s is not what the chart's queries read: run `go test ./hack/promql -update` (in hack/promql: go test . -update)\nwant:\n%s\ngot:\n%s",
			usedMetricsFile, want, got)
	}
}

// The parser is strict enough to fail: a broken query does not parse, so a pass above
// means something.
func TestParserRejectsBrokenQueries(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for _, broken := range []string{
		`sum(rate(linkstate_webhook_decisions_total[$__rate_interval]))`, // Grafana's variable left in
		`sum by (rule (linkstate_audit_violations)`,
		`histogram_quantile(0.99, rate(x_bucket[5m])`,
	} {
		if _, err := p.ParseExpr(broken); err == nil {
			t.Errorf("%q parsed", broken)
		}
	}
}
