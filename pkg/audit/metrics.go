package audit

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The audit's gauges. Only the replica that scans (the Lease holder) reports violations
// and scan times; the others report linkstate_audit_leader 0 and nothing else, so sums
// over replicas count every violation once.
var (
	violationsGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "linkstate_audit_violations",
		Help: "Results the background scan currently reports, by policy (builtin or a LinkStatePolicy's name), rule and result (fail, warn).",
	}, []string{"policy", "rule", "result"})
	lastScanSeconds = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "linkstate_audit_last_scan_seconds",
		Help: "How long the last full scan of every VM and VMI took, Reports written included.",
	})
	lastScanTimestamp = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "linkstate_audit_last_scan_timestamp_seconds",
		Help: "When the last full scan ended (Unix time); 0 before the first.",
	})
	scannedObjects = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "linkstate_audit_objects",
		Help: "VMs and VMIs the last full scan judged.",
	})
	intervalGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "linkstate_audit_interval_seconds",
		Help: "The configured time between full scans (--audit-interval), for alerts on a stale scan.",
	})
	leaderGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "linkstate_audit_leader",
		Help: "1 on the replica that holds the audit Lease and scans, 0 on the others.",
	})
	reportWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkstate_audit_report_writes_total",
		Help: "Report writes by operation (apply, delete) and result (ok, error).",
	}, []string{"operation", "result"})
)

func init() {
	metrics.Registry.MustRegister(violationsGauge, lastScanSeconds, lastScanTimestamp, scannedObjects, intervalGauge, leaderGauge, reportWrites)
}

// recordTotal shows a violation total in the gauge; a total of 0 removes its series, so
// a deleted policy's or a fixed rule's series disappear rather than stay at 0.
func recordTotal(v Violation, n int) {
	if n == 0 {
		violationsGauge.DeleteLabelValues(v.Policy, v.Rule, string(v.Result))
		return
	}
	violationsGauge.WithLabelValues(v.Policy, v.Rule, string(v.Result)).Set(float64(n))
}
