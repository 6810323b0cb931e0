package dialect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Origin says where the dialect in force comes from.
type Origin string

const (
	// FromProbe: the cluster's answer to the probe.
	FromProbe Origin = "probe"
	// FromFlag: an explicit --dialect.
	FromFlag Origin = "flag"
	// FromFallback: a guess (--dialect-fallback), the probe having decided nothing yet.
	FromFallback Origin = "fallback"
)

// Status is the dialect in force and how it was found: the startup log, /dialect and the
// metrics show it.
type Status struct {
	Dialect linkstate.Dialect `json:"dialect"`
	Source  Origin            `json:"source"`
	// Probed is what the last conclusive probe found ("" before any).
	Probed linkstate.Dialect `json:"probed,omitempty"`
	// Evidence is what the last probe was told, spelling by spelling.
	Evidence  string    `json:"evidence,omitempty"`
	CheckedAt time.Time `json:"checkedAt,omitzero"`
	// Contradiction says why an explicit --dialect is not what the cluster accepts.
	Contradiction string `json:"contradiction,omitempty"`
	// Resolved is set once the first probe has answered or timed out.
	Resolved bool `json:"resolved"`
}

// Options say how the dialect is found.
type Options struct {
	// Fixed is an explicit dialect; "" is auto: the probe decides.
	Fixed linkstate.Dialect
	// Fallback is used while the probe has decided nothing (auto only).
	Fallback linkstate.Dialect
	// Interval between probes once one has decided; Retry after one that has not (a
	// timeout, an API error, or both spellings accepted).
	Interval, Retry time.Duration
	// Timeout bounds each probe, and so how long the first one holds readiness back.
	Timeout time.Duration
}

// Resolver keeps the dialect in force. It is the linkstate.Source of the reviewers, a
// manager runnable that probes, a readiness check, and the /dialect endpoint.
type Resolver struct {
	base     linkstate.Config
	opts     Options
	prober   *Prober
	onChange func(Status)
	log      logr.Logger

	current   atomic.Pointer[Status]
	ready     chan struct{}
	readyOnce sync.Once
}

// NewResolver keeps base's settings with the dialect opts decide. prober nil never probes
// (only an explicit dialect can do without); onChange, if set, sees every new status.
func NewResolver(base linkstate.Config, opts Options, prober *Prober, onChange func(Status)) (*Resolver, error) {
	r := &Resolver{base: base, opts: opts, prober: prober, onChange: onChange, log: logf.Log.WithName("dialect"), ready: make(chan struct{})}
	initial := Status{Dialect: opts.Fixed, Source: FromFlag, Resolved: true}
	if opts.Fixed == "" {
		if prober == nil {
			return nil, errors.New("--dialect auto needs a namespace to probe in (--dialect-probe-namespace, or POD_NAMESPACE)")
		}
		initial = Status{Dialect: opts.Fallback, Source: FromFallback}
	}
	if prober == nil || opts.Fixed != "" {
		r.markReady() // nothing to wait for: the dialect is known
	}
	r.set(initial)
	return r, nil
}

// Config implements linkstate.Source: base's settings, in the dialect in force now.
func (r *Resolver) Config() linkstate.Config {
	c := r.base
	c.Dialect = r.current.Load().Dialect
	return c
}

// Status is the dialect in force and its evidence.
func (r *Resolver) Status() Status { return *r.current.Load() }

// NeedLeaderElection is false: every replica serves reviews, so every one needs to know.
func (r *Resolver) NeedLeaderElection() bool { return false }

// Start probes until ctx ends: at once, then every Interval (Retry while undecided).
func (r *Resolver) Start(ctx context.Context) error {
	if r.prober == nil {
		<-ctx.Done()
		return nil
	}
	for {
		probeCtx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
		e := r.prober.Probe(probeCtx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		decided := r.record(e)
		r.markReady()
		wait := r.opts.Interval
		if !decided {
			wait = r.opts.Retry
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// record takes a probe's evidence into the status; decided reports whether the probe
// decided anything.
func (r *Resolver) record(e Evidence) (decided bool) {
	prev := r.Status()
	next := prev
	next.Evidence, next.CheckedAt, next.Resolved = e.String(), time.Now().UTC(), true
	probed, decided := Decide(e)
	if decided {
		next.Probed = probed
	}
	switch {
	case r.opts.Fixed != "":
		next.Contradiction = ""
		if decided && probed != r.opts.Fixed {
			next.Contradiction = fmt.Sprintf("--dialect %s, but the cluster's KubeVirt accepts %s (%s): with this "+
				"setting VM creates will be refused by KubeVirt's own webhook or keep states it ignores", r.opts.Fixed, accepts(probed), e)
		}
	case decided:
		next.Dialect, next.Source = probed, FromProbe
	}
	r.set(next)
	r.logChange(prev, next, decided)
	return decided
}

func accepts(d linkstate.Dialect) string {
	switch d {
	case linkstate.Seed:
		return "only linkUp/linkDown (dialect seed)"
	case linkstate.Upstream:
		return "only up/down (dialect upstream)"
	}
	return "neither spelling (dialect none)"
}

func (r *Resolver) logChange(prev, next Status, decided bool) {
	switch {
	case next.Contradiction != "" && next.Contradiction != prev.Contradiction:
		r.log.Error(nil, "the explicit dialect contradicts the cluster", "dialect", next.Dialect, "reason", next.Contradiction)
	case !prev.Resolved && decided:
		r.log.Info("dialect resolved", "dialect", next.Dialect, "source", next.Source, "evidence", next.Evidence)
	case !prev.Resolved:
		r.log.Info("dialect not determined: using the fallback, a guess; probing again", "dialect", next.Dialect,
			"source", next.Source, "evidence", next.Evidence, "retry", r.opts.Retry)
	case next.Dialect != prev.Dialect:
		r.log.Info("dialect changed: the next reviews use the new one", "from", prev.Dialect, "to", next.Dialect, "evidence", next.Evidence)
	}
}

func (r *Resolver) set(s Status) {
	r.current.Store(&s)
	if r.onChange != nil {
		r.onChange(s)
	}
}

func (r *Resolver) markReady() { r.readyOnce.Do(func() { close(r.ready) }) }

var errNotResolved = errors.New("the dialect is not resolved yet: probing the cluster")

// Ready fails until the first probe has answered or timed out, for /readyz.
func (r *Resolver) Ready(*http.Request) error {
	select {
	case <-r.ready:
		return nil
	default:
		return errNotResolved
	}
}

// ServeHTTP answers GET with the status as JSON, for operators and the chart's helm test.
func (r *Resolver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(r.Status())
}
