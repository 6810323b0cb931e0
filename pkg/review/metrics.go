package review

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Request counts and latencies per path come from controller-runtime
// (controller_runtime_webhook_requests_total and friends); these add what only this service
// knows: what it decided, and which rule made it decide.
var (
	decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkstate_webhook_decisions_total",
		Help: "Admission decisions by webhook, operation and outcome (allowed, warned, patched, denied, errored).",
	}, []string{"webhook", "operation", "outcome"})
	findings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkstate_webhook_rule_findings_total",
		Help: "Rule findings by rule ID (as in DESIGN.md) and effect (deny, warn).",
	}, []string{"rule", "effect"})
	lookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkstate_webhook_vmi_lookups_total",
		Help: "Reads of the VMI a migration names, by result (found, not_found, error).",
	}, []string{"result"})
)

func init() {
	metrics.Registry.MustRegister(decisions, findings, lookups)
}

// Outcomes of an admission decision.
const (
	OutcomeAllowed = "allowed"
	OutcomeWarned  = "warned"
	OutcomePatched = "patched"
	OutcomeDenied  = "denied"
	OutcomeErrored = "errored"
)

// RecordDecision counts one decision of a webhook.
func RecordDecision(webhook, operation, outcome string) {
	decisions.WithLabelValues(webhook, operation, outcome).Inc()
}

// RecordFinding counts one rule finding.
func RecordFinding(rule, effect string) {
	findings.WithLabelValues(rule, effect).Inc()
}

// RecordLookup counts one read of a migration's VMI.
func RecordLookup(result string) {
	lookups.WithLabelValues(result).Inc()
}
