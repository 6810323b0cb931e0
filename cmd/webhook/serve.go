package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
)

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := server.Options{}
	fs.StringVar(&opts.CertDir, "cert-dir", "/tmp/k8s-webhook-server/serving-certs",
		"directory holding tls.crt and tls.key; they are reloaded when they change")
	fs.IntVar(&opts.Port, "port", 9443, "port the webhooks are served on (TLS)")
	fs.StringVar(&opts.HealthProbeBindAddress, "health-probe-bind-address", ":8081", "address of /healthz and /readyz; 0 disables")
	fs.StringVar(&opts.MetricsBindAddress, "metrics-bind-address", ":8080", "address of /metrics; 0 disables")
	fs.BoolVar(&opts.EnableHTTP2, "enable-http2", false, "serve HTTP/2 as well as HTTP/1.1 (off: HTTP/2 rapid-reset CVEs)")
	fs.DurationVar(&opts.ShutdownDelay, "shutdown-delay", 5*time.Second,
		"after SIGTERM, how long reviews are still answered (with /readyz failing and connections closed after each answer) before the server stops: clients on kept-alive connections move to other replicas meanwhile")
	fs.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "after the shutdown delay, how long in-flight reviews may take to finish")
	var rules linkstate.ConfigFlags
	rules.Bind(fs)
	var migrations migration.Flags
	migrations.Bind(fs)
	config.RegisterFlags(fs) // --kubeconfig
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if opts.Rules, err = rules.Config(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if opts.Migrations, err = migrations.Options(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("serve")

	if opts.RestConfig, err = ctrl.GetConfig(); err != nil {
		log.Error(err, "no Kubernetes API access: run in a pod or pass --kubeconfig")
		return 1
	}
	srv, err := server.New(opts)
	if err != nil {
		log.Error(err, "building the server")
		return 1
	}
	cfg := opts.Rules
	log.Info("starting", "version", version(), "dialect", cfg.Dialect, "passtBinding", cfg.PasstBinding,
		"unknownPlugins", cfg.UnknownPlugins, "plugins", cfg.Plugins, "migrationExempt", migrations.ExemptIdentities(),
		"migrationLookupFailure", opts.Migrations.LookupFailure, "vmiLookupTimeout", opts.Migrations.LookupTimeout)
	// SIGTERM starts the drain; the server stops when it ends.
	if err := srv.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "server stopped")
		return 1
	}
	return 0
}
