// Package harness runs linkstate-webhook for real on one machine: a kube-apiserver and
// etcd started by controller-runtime's envtest, KubeVirt's CRDs with their real schemas,
// the webhook's own CRD (LinkStatePolicy, config/crd) and the webhook configurations
// shipped in config/webhook (their service swapped for a local URL), and the webhook
// binary itself serving over TLS. The envtest suite and `make demo`
// both use it; StartWebhook alone runs the binary where the load and reliability tests
// (and the chart's hook test) need it, and WarningRecorder and LogBuffer collect what
// clients and processes report.
package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/linkstate-webhook/linkstate-webhook/test/crds"
)

// Options tune Start.
type Options struct {
	// WebhookArgs are extra flags for `webhook serve` (for example --dialect=upstream).
	WebhookArgs []string
	// WebhookLog receives the webhook's output; nil discards it.
	WebhookLog io.Writer
	// APIServerArgs are extra kube-apiserver flags, each appended to envtest's defaults
	// (for example "feature-gates": {"MutatingAdmissionPolicy=true"}).
	APIServerArgs map[string][]string
	// CRDPaths are more CRD manifests (files or directories) to install besides
	// KubeVirt's, e.g. the OpenReports CRDs the audit writes.
	CRDPaths []string
	// Webhooks picks which shipped configurations to install: nil installs all of them.
	Webhooks func(mutating []*admissionregistrationv1.MutatingWebhookConfiguration,
		validating []*admissionregistrationv1.ValidatingWebhookConfiguration) (
		[]*admissionregistrationv1.MutatingWebhookConfiguration, []*admissionregistrationv1.ValidatingWebhookConfiguration)
}

// Env is a running API server with the webhook registered and served.
type Env struct {
	Env *envtest.Environment
	// Config is an admin's rest config; Kubeconfig the path of the same, for kubectl.
	Config     *rest.Config
	Kubeconfig string
	Binary     string
	dir        string
	opts       Options
	webhook    *Webhook        // the running one; nil once stopped
	exited     <-chan struct{} // closed when the last webhook started has exited
}

// ServiceNamespace is the namespace the shipped configuration installs the service in:
// its webhooks skip it, and its dialect probe runs there.
const ServiceNamespace = "linkstate-webhook-system"

// createNamespace creates a namespace (an existing one is fine).
func createNamespace(ctx context.Context, cfg *rest.Config, name string) error {
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return err
	}
	err = c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// OpenReportsCRDs is the directory of the OpenReports CRDs the chart installs (Report and
// ClusterReport, as github.com/openreports/reports-api ships them).
func OpenReportsCRDs() string {
	return filepath.Join(Root(), "charts", "linkstate-webhook", "files", "crds")
}

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Start brings everything up. KUBEBUILDER_ASSETS must point at kube-apiserver and etcd
// (make envtest-assets builds them). Call Stop when done, also after an error.
func Start(ctx context.Context, opts Options) (*Env, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: run `make test` or " +
			"`export KUBEBUILDER_ASSETS=$(./hack/envtest-assets.sh)` (it builds kube-apiserver and etcd once)")
	}
	dir, err := os.MkdirTemp("", "linkstate-harness-")
	if err != nil {
		return nil, err
	}
	e := &Env{dir: dir, opts: opts}
	crdObjs, err := crds.Objects()
	if err != nil {
		return e, fmt.Errorf("generating KubeVirt CRDs: %w", err)
	}
	webhooks := envtest.WebhookInstallOptions{LocalServingHost: "127.0.0.1", LocalServingPort: freePort()}
	if err := loadShippedWebhooks(&webhooks, opts); err != nil {
		return e, err
	}
	e.Env = &envtest.Environment{
		// KubeVirt's CRDs, the webhook's own (LinkStatePolicy) as config/crd ships it, and
		// the caller's (opts.CRDPaths). envtest waits 10 s for them to be served by
		// default: not enough on a busy 2-core machine.
		CRDInstallOptions: envtest.CRDInstallOptions{CRDs: crdObjs, Paths: append([]string{ShippedCRDs()}, opts.CRDPaths...),
			MaxTime: time.Minute},
		WebhookInstallOptions: webhooks,
		ErrorIfCRDPathMissing: true,
	}
	apiServer := e.Env.ControlPlane.GetAPIServer().Configure()
	for _, flag := range slices.Sorted(maps.Keys(opts.APIServerArgs)) {
		apiServer.Append(flag, opts.APIServerArgs[flag]...)
	}
	if _, err := e.Env.Start(); err != nil {
		return e, fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	if e.Config, e.Kubeconfig, err = e.adminKubeconfig(); err != nil {
		return e, err
	}
	if err := createNamespace(ctx, e.Config, ServiceNamespace); err != nil {
		return e, err
	}
	if e.Binary, err = Build(dir); err != nil {
		return e, err
	}
	return e, e.StartWebhook(ctx, opts.WebhookArgs...)
}

// ShippedCRDs is the directory of the CRDs the webhook ships (config/crd/bases).
func ShippedCRDs() string { return filepath.Join(Root(), "config", "crd", "bases") }

// loadShippedWebhooks reads config/webhook and points every webhook at the local server
// by URL, keeping its path. (envtest would do the swap itself, but joins host and path
// with a second slash.) envtest fills in the CA bundle.
func loadShippedWebhooks(w *envtest.WebhookInstallOptions, opts Options) error {
	mutating, validating, err := ReadShippedWebhooks()
	if err != nil {
		return err
	}
	if opts.Webhooks != nil {
		mutating, validating = opts.Webhooks(mutating, validating)
	}
	base := "https://" + net.JoinHostPort(w.LocalServingHost, strconv.Itoa(w.LocalServingPort))
	for _, c := range mutating {
		for i := range c.Webhooks {
			toURL(&c.Webhooks[i].ClientConfig, base)
		}
	}
	for _, c := range validating {
		for i := range c.Webhooks {
			toURL(&c.Webhooks[i].ClientConfig, base)
		}
	}
	w.MutatingWebhooks, w.ValidatingWebhooks = mutating, validating
	return nil
}

func toURL(cc *admissionregistrationv1.WebhookClientConfig, base string) {
	if cc.Service != nil && cc.Service.Path != nil {
		url := base + *cc.Service.Path
		cc.URL, cc.Service = &url, nil
	}
}

// Build compiles the webhook binary into dir.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "webhook")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/webhook")
	cmd.Dir = Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the webhook: %w\n%s", err, out)
	}
	return bin, nil
}

func (e *Env) adminKubeconfig() (*rest.Config, string, error) {
	user, err := e.Env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, "", fmt.Errorf("adding an admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(e.dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return nil, "", err
	}
	return user.Config(), path, nil
}

// StartWebhook starts the webhook binary on envtest's serving port and certificate, and
// waits until it is ready.
func (e *Env) StartWebhook(ctx context.Context, args ...string) error {
	w := e.Env.WebhookInstallOptions
	webhook, err := StartWebhook(ctx, WebhookOptions{
		Binary:     e.Binary,
		Kubeconfig: e.Kubeconfig,
		CertDir:    w.LocalServingCertDir,
		Port:       w.LocalServingPort,
		Args: append([]string{
			"--shutdown-timeout", "5s",
			// Restarts in tests need not wait out the drain; test/reliability covers it.
			"--shutdown-delay", "0s",
		}, args...),
		Log: e.opts.WebhookLog,
	})
	if err != nil {
		return err
	}
	e.webhook, e.exited = webhook, webhook.Exited()
	return nil
}

// StopWebhook sends SIGTERM and waits for the binary to exit. A webhook that already
// exited counts as stopped.
func (e *Env) StopWebhook() error {
	w := e.webhook
	if w == nil {
		return nil
	}
	e.webhook = nil
	select {
	case <-w.Exited():
		return nil
	default:
	}
	return w.Stop(15 * time.Second)
}

// WebhookAddr is the loopback TLS address the running webhook serves on ("" if none runs).
func (e *Env) WebhookAddr() string {
	if e.webhook == nil {
		return ""
	}
	return e.webhook.Addr
}

// Exited is closed when the webhook process exits, for callers that must notice a crash.
func (e *Env) Exited() <-chan struct{} { return e.exited }

// RestartWebhook replaces the running binary with one started with other flags.
func (e *Env) RestartWebhook(ctx context.Context, args ...string) error {
	if err := e.StopWebhook(); err != nil {
		return fmt.Errorf("stopping the webhook: %w", err)
	}
	return e.StartWebhook(ctx, args...)
}

// Stop tears everything down.
func (e *Env) Stop() error {
	var errs []error
	if err := e.StopWebhook(); err != nil {
		errs = append(errs, err)
	}
	if e.Env != nil {
		if err := e.Env.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if e.dir != "" {
		errs = append(errs, os.RemoveAll(e.dir))
	}
	return errors.Join(errs...)
}

// freePort is a free loopback port, or zero (envtest then picks one) if none was found.
func freePort() int {
	addr, err := freeAddr()
	if err != nil {
		return 0
	}
	return addr.Port
}

// Unthrottled is a copy of cfg without client-go's default rate limit (5 requests/s, bursts
// of 10): a suite creates hundreds of objects and would otherwise wait on itself. A negative
// QPS is client-go's way to build no limiter at all.
func Unthrottled(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = -1, 0
	return c
}
