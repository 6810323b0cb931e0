package dialect

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Defaults: a KubeVirt upgrade is noticed within ten minutes, at two dry-run creates per
// probe (12 requests an hour per replica); an API server that does not answer holds
// readiness back ten seconds at most.
const (
	DefaultInterval = 10 * time.Minute
	DefaultTimeout  = 10 * time.Second
	DefaultRetry    = 30 * time.Second
)

// Flags are the command-line flags of dialect detection (--dialect itself is one of the
// rule flags, linkstate.ConfigFlags).
type Flags struct {
	fallback  string
	namespace string
	interval  time.Duration
	timeout   time.Duration
}

// Bind registers the probe's flags (BindProbe) and --dialect-probe-interval.
func (f *Flags) Bind(fs *flag.FlagSet, defaultNamespace string) {
	f.BindProbe(fs, defaultNamespace)
	fs.DurationVar(&f.interval, "dialect-probe-interval", DefaultInterval, "how often the dialect is checked against the cluster again")
}

// BindProbe registers --dialect-fallback, --dialect-probe-namespace and
// --dialect-probe-timeout. defaultNamespace is the probe namespace when none is given.
func (f *Flags) BindProbe(fs *flag.FlagSet, defaultNamespace string) {
	f.interval = DefaultInterval
	fs.StringVar(&f.fallback, "dialect-fallback", string(linkstate.Seed),
		"with --dialect auto, the dialect used while the cluster's answer decides nothing (both spellings accepted, or no answer): seed, upstream or none")
	fs.StringVar(&f.namespace, "dialect-probe-namespace", defaultNamespace,
		"namespace of the dry-run probe VM: one where linkstate-webhook's own webhooks do not apply (its own namespace)")
	fs.DurationVar(&f.timeout, "dialect-probe-timeout", DefaultTimeout,
		"how long a probe may take; the first one holds readiness back at most this long, then the fallback is used until one answers")
}

// Options are the parsed flags for a fixed dialect (from --dialect; "" for auto).
func (f *Flags) Options(fixed linkstate.Dialect) (Options, error) {
	fallback, err := linkstate.ParseDialect(f.fallback)
	if err != nil {
		return Options{}, fmt.Errorf("--dialect-fallback: %w", err)
	}
	if f.interval <= 0 || f.timeout <= 0 {
		return Options{}, fmt.Errorf("--dialect-probe-interval and --dialect-probe-timeout must be positive")
	}
	return Options{Fixed: fixed, Fallback: fallback, Interval: f.interval, Retry: min(DefaultRetry, f.interval), Timeout: f.timeout}, nil
}

// Namespace is the probe namespace ("": none known).
func (f *Flags) Namespace() string { return f.namespace }

// PodNamespace is the namespace the downward API gives the service's pod (POD_NAMESPACE).
func PodNamespace() string { return os.Getenv("POD_NAMESPACE") }
