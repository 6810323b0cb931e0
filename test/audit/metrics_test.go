package audit

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// families scrapes /metrics at addr.
func families(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p expfmt.TextParser
	out, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return out
}

// exported reports whether the scrape has metric (a histogram's _bucket, _sum and _count
// included) with every one of labels on some series.
func exported(fams map[string]*dto.MetricFamily, metric string, labels []string) error {
	fam, series := fams[metric], metric
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if fam == nil && strings.HasSuffix(metric, suffix) {
			if h := fams[strings.TrimSuffix(metric, suffix)]; h != nil && h.GetType() == dto.MetricType_HISTOGRAM {
				fam, series = h, suffix
			}
		}
	}
	if fam == nil {
		return fmt.Errorf("%s is not exported", metric)
	}
	if len(fam.Metric) == 0 {
		return fmt.Errorf("%s has no series", metric)
	}
	for _, want := range labels {
		if want == "le" && series == "_bucket" {
			continue // every bucket has one
		}
		found := false
		for _, m := range fam.Metric {
			for _, l := range m.Label {
				found = found || l.GetName() == want
			}
		}
		if !found {
			return fmt.Errorf("%s has no series with label %q", metric, want)
		}
	}
	return nil
}

// Every metric the chart's dashboard and alerts read (hack/promql/used-metrics.txt, which
// hack/promql keeps equal to their parsed queries) is one this binary exports, with the
// labels the queries select and group it by. The binary is exercised first, so that every
// labelled series exists: a denial, a warning, a migration (a VMI lookup), Reports written.
func TestDashboardAndAlertMetricsAreExported(t *testing.T) {
	used, err := os.Open(filepath.Join(harness.Root(), "hack", "promql", "used-metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer used.Close()

	ns, judged := namespace(t, true), namespace(t, false)
	sriov, _, podDown, _, _, _, _ := violators(ns)
	create(t, sriov)
	admissionSays(t, judged, sriov, "B1")
	admissionSays(t, judged, podDown, "P1")
	migration := &v1.VirtualMachineInstanceMigration{ObjectMeta: metav1.ObjectMeta{Namespace: judged, Name: "move"},
		Spec: v1.VirtualMachineInstanceMigrationSpec{VMIName: "nowhere"}}
	create(t, migration)
	waitReports(t, ns, map[string][]result{"linkstate-vm-sriov-down": admissionSays(t, judged, sriov, "B1")})
	testwait.Until(t, "a full scan has ended", 30*time.Second, func() error {
		if scrape(t, metricsAddr, "linkstate_audit_last_scan_timestamp_seconds")[""] == 0 {
			return fmt.Errorf("not yet")
		}
		return nil
	})

	fams := families(t, metricsAddr)
	lines := bufio.NewScanner(used)
	checked := 0
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		checked++
		if err := exported(fams, fields[0], fields[1:]); err != nil {
			t.Error(err)
		}
	}
	if checked < 10 {
		t.Errorf("only %d metrics in used-metrics.txt", checked)
	}
	// The check can fail: a name the binary does not export is caught.
	if exported(fams, "linkstate_webhook_no_such_metric_total", nil) == nil || exported(fams, "linkstate_audit_violations", []string{"severity"}) == nil {
		t.Error("exported accepts what the binary does not export")
	}
}
