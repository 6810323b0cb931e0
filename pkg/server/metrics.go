package server

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/dialect"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
)

// Request counts and latencies per path come from controller-runtime
// (controller_runtime_webhook_requests_total and friends); these add what only this service
// knows: what it decided, which rule made it decide, and how its VMI reads went. They are
// recorded here, where reviewers are registered, and nowhere else: the offline check runs
// the same reviewers without counting anything.
var (
	decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkstate_webhook_decisions_total",
		Help: "Admission decisions by webhook, operation and outcome (allowed, warned, patched, denied, errored).",
	}, []string{"webhook", "operation", "outcome"})
	findings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkstate_webhook_rule_findings_total",
		Help: "Rule findings by rule ID (V1, B1, ..., L1, L2 as in the README's rule tables) and effect (deny, warn, audit).",
	}, []string{"rule", "effect"})
	lookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkstate_webhook_vmi_lookups_total",
		Help: "Reads of the VMI a migration names, by result (found, not_found, error).",
	}, []string{"result"})
	dialectInForce = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "linkstate_webhook_dialect",
		Help: "1 for the dialect in force (seed, upstream, none) and where it comes from (probe, flag, fallback).",
	}, []string{"dialect", "source"})
	dialectContradiction = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "linkstate_webhook_dialect_contradiction",
		Help: "1 while an explicit --dialect differs from what the cluster's KubeVirt accepts (see /dialect and the log), else 0.",
	})
)

// readiness holds the /readyz checks of the server being built or run; ready reports
// them at every scrape, so an alert can count ready replicas from the webhook's own
// metrics (a replica that is scraped but not ready reports 0).
var (
	readiness atomic.Pointer[[]healthz.Checker]
	ready     = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "linkstate_webhook_ready",
		Help: "1 while this replica's /readyz checks pass (it serves reviews over TLS, is not draining, knows its dialect, has loaded the LinkStatePolicies), else 0.",
	}, func() float64 {
		checks := readiness.Load()
		if checks == nil {
			return 0
		}
		for _, check := range *checks {
			if check(nil) != nil {
				return 0
			}
		}
		return 1
	})
)

func init() {
	metrics.Registry.MustRegister(decisions, findings, lookups, dialectInForce, dialectContradiction, ready)
}

// reportReadiness makes linkstate_webhook_ready report these checks.
func reportReadiness(checks []healthz.Checker) { readiness.Store(&checks) }

// recordDialect shows a new dialect status in the metrics.
func recordDialect(s dialect.Status) {
	dialectInForce.Reset()
	dialectInForce.WithLabelValues(string(s.Dialect), string(s.Source)).Set(1)
	contradiction := 0.0
	if s.Contradiction != "" {
		contradiction = 1
	}
	dialectContradiction.Set(contradiction)
}

// Outcomes of an admission decision.
const (
	OutcomeAllowed = "allowed"
	OutcomeWarned  = "warned"
	OutcomePatched = "patched"
	OutcomeDenied  = "denied"
	OutcomeErrored = "errored"
)

// instrument serves r as an admission.Handler that counts each decision and finding, and
// logs denials (controller-runtime's request logger already names the object, kind and
// user).
func instrument(webhook string, r review.Reviewer) admission.Handler {
	return admission.HandlerFunc(func(ctx context.Context, req admission.Request) admission.Response {
		v := r.Review(ctx, req)
		for _, f := range v.Findings {
			findings.WithLabelValues(string(f.Rule), f.Effect()).Inc()
		}
		outcome := outcomeOf(v.Response)
		decisions.WithLabelValues(webhook, string(req.Operation), outcome).Inc()
		if outcome == OutcomeDenied {
			logf.FromContext(ctx).Info("denied", "errors", v.Findings.Errors().ToAggregate().Error())
		}
		// Audit-mode LinkStatePolicies change no answer: this line, the audit annotation
		// and the count are their record.
		if audits := v.Findings.Audits(); len(audits) > 0 {
			logf.FromContext(ctx).Info("policy audit", "findings", audits)
		}
		return v.Response
	})
}

func outcomeOf(resp admission.Response) string {
	switch {
	case !resp.Allowed && resp.Result != nil && resp.Result.Code == http.StatusUnprocessableEntity:
		return OutcomeDenied
	case !resp.Allowed:
		return OutcomeErrored
	case len(resp.Patches) > 0:
		return OutcomePatched
	case len(resp.Warnings) > 0:
		return OutcomeWarned
	}
	return OutcomeAllowed
}

// countedVMIs counts the reads of a VMIGetter by result.
type countedVMIs struct{ migration.VMIGetter }

func (c countedVMIs) GetVMI(ctx context.Context, namespace, name string) (*linkstate.Object, error) {
	vmi, err := c.VMIGetter.GetVMI(ctx, namespace, name)
	switch {
	case err == nil:
		lookups.WithLabelValues("found").Inc()
	case apierrors.IsNotFound(err):
		lookups.WithLabelValues("not_found").Inc()
	default:
		lookups.WithLabelValues("error").Inc()
	}
	return vmi, err
}
