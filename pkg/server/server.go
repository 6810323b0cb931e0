package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/audit"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/dialect"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy/cluster"
)

// The serving certificate and key in CertDir, as the chart's Secret names them.
const (
	CertName = "tls.crt"
	KeyName  = "tls.key"
)

// Options are everything the webhook server is built from.
type Options struct {
	// Rules are the cluster settings the rules and the defaulting follow; its dialect is
	// Dialect's to decide.
	Rules linkstate.Config
	// Dialect says how the dialect is found: fixed, or asked of the cluster (auto) by a
	// probe in DialectProbeNamespace ("" never probes: a fixed dialect then goes unchecked).
	Dialect               dialect.Options
	DialectProbeNamespace string
	// Migrations are the migration reviewers' settings. VMIs nil reads VMIs from the API
	// server with one GET each; Signer nil signs stamps with a key derived from the
	// serving key, which every replica shares.
	Migrations migration.Options

	// Audit is the background scan of every VM and VMI (off unless Enabled): every
	// replica campaigns for its Lease, the holder scans, and admission never waits for it.
	Audit audit.Config

	// Policies are the LinkStatePolicies the validating reviewers apply on top of the rules.
	// nil watches the cluster's policies and namespaces' labels through the manager's
	// cache (pkg/policy/cluster); the server is then ready only once they are loaded.
	Policies policy.Source

	// RestConfig reaches the API server (for the migrations' VMI reads and the policies).
	RestConfig *rest.Config

	// Host and Port the webhooks are served on, over TLS with the pair in CertDir
	// (reloaded when it changes). HTTP/2 is off unless EnableHTTP2.
	Host        string
	Port        int
	CertDir     string
	EnableHTTP2 bool

	// HealthProbeBindAddress serves /healthz and /readyz; MetricsBindAddress serves
	// /metrics. "0" disables either.
	HealthProbeBindAddress string
	MetricsBindAddress     string

	// ShutdownDelay is how long reviews are still answered after the stop signal (see
	// Drain); ShutdownTimeout then bounds the reviews in flight.
	ShutdownDelay   time.Duration
	ShutdownTimeout time.Duration
}

// Server is linkstate-webhook's whole server: the webhooks, health, metrics and the stop
// sequence, run by a controller-runtime manager.
type Server struct {
	mgr     manager.Manager
	webhook webhook.Server
	drain   *Drain
	// Dialect is the dialect in force and how it was found.
	Dialect *dialect.Resolver
}

// New builds the server; Start runs it. cmd/webhook, the tests and the demo all build it
// here, so what they exercise is what runs in a cluster.
func New(opts Options) (*Server, error) {
	if opts.RestConfig == nil {
		return nil, errors.New("no API server configuration")
	}
	hooks := webhook.NewServer(webhook.Options{
		Host:     opts.Host,
		Port:     opts.Port,
		CertDir:  opts.CertDir,
		CertName: CertName,
		KeyName:  KeyName,
		TLSOpts:  TLSOptions(opts.EnableHTTP2),
	})
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(opts.RestConfig, ctrl.Options{
		// The cache holds LinkStatePolicies and namespaces' names and labels (when Policies
		// is nil), nothing else: the migrations read VMIs with direct GETs.
		Scheme:                  scheme,
		Cache:                   cluster.CacheOptions(),
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress:  opts.HealthProbeBindAddress,
		WebhookServer:           hooks,
		GracefulShutdownTimeout: &opts.ShutdownTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	// The manager runs the webhook server only once it has been asked for it.
	hooks = mgr.GetWebhookServer()
	if opts.Migrations.VMIs == nil {
		opts.Migrations.VMIs = migration.APIVMIGetter{Reader: mgr.GetAPIReader()}
	}
	if opts.Migrations.Signer == nil {
		opts.Migrations.Signer = migration.NewFileSigner(filepath.Join(opts.CertDir, KeyName))
	}
	var prober *dialect.Prober
	if opts.DialectProbeNamespace != "" {
		// Its own client, every request of which (discovery included) gives up in half the
		// probe timeout: a probe is two creates, and a silent API server must not hold
		// readiness back longer than the timeout.
		probeConfig := rest.CopyConfig(opts.RestConfig)
		probeConfig.Timeout = opts.Dialect.Timeout / 2
		probeClient, err := client.New(probeConfig, client.Options{})
		if err != nil {
			return nil, fmt.Errorf("creating the dialect probe's client: %w", err)
		}
		prober = &dialect.Prober{Client: probeClient, Namespace: opts.DialectProbeNamespace}
	}
	// The audit judges everything again when the dialect in force changes.
	var judge *audit.Builtin
	var lastDialect linkstate.Dialect
	resolver, err := dialect.NewResolver(opts.Rules, opts.Dialect, prober, func(st dialect.Status) {
		recordDialect(st)
		if judge != nil && st.Dialect != lastDialect {
			judge.SettingsChanged()
		}
		lastDialect = st.Dialect
	})
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(resolver); err != nil {
		return nil, fmt.Errorf("adding the dialect probe: %w", err)
	}
	if opts.Policies == nil {
		if opts.Policies, err = cluster.Setup(mgr); err != nil {
			return nil, fmt.Errorf("watching LinkStatePolicies: %w", err)
		}
	}
	if opts.Audit.Enabled {
		// The audit judges with the rules and the policies, and everything again when the
		// policies in force change.
		judge = audit.NewBuiltin(resolver)
		policies := opts.Policies
		if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
			audit.WatchPolicies(ctx, policies, judge, time.Second)
			return nil
		})); err != nil {
			return nil, fmt.Errorf("adding the audit's policy watch: %w", err)
		}
		leader, err := audit.New(opts.RestConfig, opts.Audit, audit.NewPolicies(judge, policies))
		if err != nil {
			return nil, fmt.Errorf("building the audit: %w", err)
		}
		if err := mgr.Add(leader); err != nil {
			return nil, fmt.Errorf("adding the audit: %w", err)
		}
	}
	s := &Server{mgr: mgr, webhook: hooks, drain: &Drain{Delay: opts.ShutdownDelay}, Dialect: resolver}
	for path, h := range Handlers(resolver, opts.Migrations, opts.Policies) {
		hooks.Register(path, s.drain.Handler(h))
	}
	hooks.Register(PathDialect, resolver)
	checks := []struct {
		add   func(string, healthz.Checker) error
		name  string
		check healthz.Checker
	}{
		{mgr.AddHealthzCheck, "certificate", CertificateChecker(opts.CertDir, CertName, KeyName)},
		{mgr.AddReadyzCheck, "webhook", hooks.StartedChecker()},
		{mgr.AddReadyzCheck, "drain", s.drain.Checker()},
		{mgr.AddReadyzCheck, "dialect", resolver.Ready},
	}
	var ready []healthz.Checker
	for _, c := range checks {
		if err := c.add(c.name, c.check); err != nil {
			return nil, fmt.Errorf("adding the %s check: %w", c.name, err)
		}
		if c.name != "certificate" {
			ready = append(ready, c.check)
		}
	}
	// The policies' readiness check is the watch's own (cluster.Setup adds it to /readyz).
	if w, ok := opts.Policies.(*cluster.Watch); ok {
		ready = append(ready, w.Checker())
	}
	reportReadiness(ready)
	return s, nil
}

// Start serves until ctx ends (the stop signal), then drains and stops.
func (s *Server) Start(ctx context.Context) error {
	return s.mgr.Start(s.drain.Context(ctx))
}

// Started fails until the webhooks are served over TLS.
func (s *Server) Started() error { return s.webhook.StartedChecker()(nil) }
