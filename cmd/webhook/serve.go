package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/linkstate-webhook/linkstate-webhook/internal/cli"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/audit"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/dialect"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
)

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webhook serve", flag.ContinueOnError)
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
	rules.Bind(fs, linkstate.DialectAuto)
	var dialects dialect.Flags
	dialects.Bind(fs, dialect.PodNamespace())
	var migrations migration.Flags
	migrations.Bind(fs)
	var audits audit.Flags
	audits.Bind(fs)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster (default: the pod's service account in a cluster, else $KUBECONFIG, then ~/.kube/config)")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	if code, done := cli.Parse(fs, args, stdout, stderr, serveUsage); done {
		return code
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
	if opts.Dialect, err = dialects.Options(opts.Rules.Dialect); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	opts.DialectProbeNamespace = dialects.Namespace()
	if rules.Auto() && opts.DialectProbeNamespace == "" {
		fmt.Fprintln(stderr, "--dialect auto needs a namespace for its dry-run probe: pass --dialect-probe-namespace "+
			"(the service's own namespace; the chart sets POD_NAMESPACE), or an explicit --dialect seed|upstream|none")
		return 2
	}
	if opts.Audit, err = audits.Config(opts.DialectProbeNamespace); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if opts.Audit.Enabled {
		audit.StreamingLists() // before any client is built
	}
	if opts.RestConfig, err = restConfig(*kubeconfig); err != nil {
		fmt.Fprintln(stderr, "webhook serve:", err)
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("serve")

	srv, err := server.New(opts)
	if err != nil {
		log.Error(err, "building the server")
		return 1
	}
	cfg := opts.Rules
	log.Info("starting", "version", version(), "dialect", srv.Dialect.Status().Dialect, "dialectSource", srv.Dialect.Status().Source,
		"dialectProbeNamespace", opts.DialectProbeNamespace, "passtBinding", cfg.PasstBinding,
		"unknownPlugins", cfg.UnknownPlugins, "plugins", cfg.Plugins, "migrationExempt", migrations.ExemptIdentities(),
		"migrationLookupFailure", opts.Migrations.LookupFailure, "vmiLookupTimeout", opts.Migrations.LookupTimeout,
		"audit", opts.Audit.Enabled, "auditInterval", opts.Audit.Scan.Interval, "auditLease", opts.Audit.Election.Namespace+"/"+opts.Audit.Election.Name)
	// SIGTERM starts the drain; the server stops when it ends.
	if err := srv.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "server stopped")
		return 1
	}
	return 0
}

const serveUsage = `Usage: webhook serve [flags]

Serves the mutating and validating webhooks over TLS, with /healthz, /readyz, /metrics and
/dialect. It needs the API server (the migration webhooks read VMIs, --dialect auto asks
KubeVirt): in a pod it uses the pod's service account, elsewhere --kubeconfig.

Flags:
`

// errNoCluster is serve without an API server to talk to.
var errNoCluster = errors.New("no Kubernetes API server to talk to: pass --kubeconfig PATH (or set KUBECONFIG), or run it in a pod")

// restConfig finds the API server as kubectl would, outside a cluster, and from the pod's
// service account inside one, without logging anything on the way.
func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" && os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return rest.InClusterConfig()
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, errNoCluster
	}
	return cfg, err
}
