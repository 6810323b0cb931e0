package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	kubevirtv1 "kubevirt.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/linkstate-webhook/linkstate-webhook/internal/flagvalue"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

const (
	certName = "tls.crt"
	keyName  = "tls.key"
)

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	certDir := fs.String("cert-dir", "/tmp/k8s-webhook-server/serving-certs",
		"directory holding tls.crt and tls.key; they are reloaded when they change")
	port := fs.Int("port", 9443, "port the webhooks are served on (TLS)")
	probeAddr := fs.String("health-probe-bind-address", ":8081", "address of /healthz and /readyz; 0 disables")
	metricsAddr := fs.String("metrics-bind-address", ":8080", "address of /metrics; 0 disables")
	enableHTTP2 := fs.Bool("enable-http2", false, "serve HTTP/2 as well as HTTP/1.1 (off: HTTP/2 rapid-reset CVEs)")
	shutdownDelay := fs.Duration("shutdown-delay", 5*time.Second,
		"after SIGTERM, how long reviews are still answered (with /readyz failing and connections closed after each answer) before the server stops: clients on kept-alive connections move to other replicas meanwhile")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "after the shutdown delay, how long in-flight reviews may take to finish")
	var rules linkstate.ConfigFlags
	rules.Bind(fs)
	lookupTimeout := fs.Duration("vmi-lookup-timeout", server.DefaultLookupTimeout,
		"how long the migration webhooks wait for the VMI a migration names; keep it under the webhook's timeoutSeconds")
	lookupFailure := fs.String("migration-lookup-failure", string(linkstate.ActionWarn),
		"when the VMI of a new migration cannot be read: warn (let it through unstamped, with a warning) or deny")
	exempt := &flagvalue.DefaultedList{Values: validate.DefaultExemptUsers}
	fs.Var(exempt, "migration-exempt",
		"comma-separated identities allowed to set the stamped migration annotations: user names, or group:NAME (replaces the default, KubeVirt's service accounts)")
	config.RegisterFlags(fs) // --kubeconfig
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := rules.Config()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	failure, err := linkstate.ParseAction(*lookupFailure)
	if err != nil {
		fmt.Fprintln(stderr, "--migration-lookup-failure:", err)
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("serve")

	restCfg, err := ctrl.GetConfig()
	if err != nil {
		log.Error(err, "no Kubernetes API access: run in a pod or pass --kubeconfig")
		return 1
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		log.Error(err, "building scheme")
		return 1
	}
	if err := kubevirtv1.AddToScheme(scheme); err != nil {
		log.Error(err, "building scheme")
		return 1
	}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress: *probeAddr,
		WebhookServer: webhook.NewServer(webhook.Options{
			Port:     *port,
			CertDir:  *certDir,
			CertName: certName,
			KeyName:  keyName,
			TLSOpts:  server.TLSOptions(*enableHTTP2),
		}),
		GracefulShutdownTimeout: shutdownTimeout,
	})
	if err != nil {
		log.Error(err, "creating manager")
		return 1
	}
	// The manager runs the webhook server only once it has been asked for it.
	webhookServer := mgr.GetWebhookServer()
	drain := &server.Drain{Delay: *shutdownDelay}
	hooks := server.Wrapped(webhookServer, drain.Handler)
	server.Register(hooks, cfg)
	server.RegisterMigrations(hooks, cfg, server.MigrationOptions{
		VMIs:          review.APIVMIGetter{Reader: mgr.GetAPIReader()},
		LookupTimeout: *lookupTimeout,
		LookupFailure: failure,
		Exempt:        validate.ParseExemptions(exempt.Values),
	})
	if err := mgr.AddHealthzCheck("certificate", server.CertificateChecker(*certDir, certName, keyName)); err != nil {
		log.Error(err, "adding health check")
		return 1
	}
	if err := mgr.AddReadyzCheck("webhook", webhookServer.StartedChecker()); err != nil {
		log.Error(err, "adding readiness check")
		return 1
	}
	if err := mgr.AddReadyzCheck("drain", drain.Checker()); err != nil {
		log.Error(err, "adding readiness check")
		return 1
	}
	log.Info("starting", "version", version(), "dialect", cfg.Dialect, "passtBinding", cfg.PasstBinding,
		"unknownPlugins", cfg.UnknownPlugins, "plugins", cfg.Plugins, "migrationExempt", exempt.Values,
		"migrationLookupFailure", failure, "vmiLookupTimeout", *lookupTimeout)
	// SIGTERM starts the drain; the manager stops the servers when it ends.
	if err := mgr.Start(drain.Context(ctrl.SetupSignalHandler())); err != nil {
		log.Error(err, "manager stopped")
		return 1
	}
	return 0
}
