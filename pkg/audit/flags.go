package audit

import (
	"flag"
	"fmt"
	"time"
)

// Config is everything the audit is built from.
type Config struct {
	// Enabled runs the audit (on every replica: the Lease decides which one scans).
	Enabled  bool
	Scan     Options
	Election Election
	// QPS bounds the scan's own API client (lists, watches, Reports; bursts of twice
	// that), which it shares with nothing: admission's VMI reads never queue behind
	// Report writes.
	QPS float64
}

// DefaultQPS is the default request rate of the scan's client.
const DefaultQPS = 50

// Flags are the command-line flags of the audit.
type Flags struct {
	c         Config
	namespace string
}

// Bind registers --audit and its companions.
func (f *Flags) Bind(fs *flag.FlagSet) {
	fs.BoolVar(&f.c.Enabled, "audit", false,
		"scan every VM and VMI in the cluster in the background and write OpenReports Reports of their violations (one replica scans: the holder of a Lease)")
	fs.DurationVar(&f.c.Scan.Interval, "audit-interval", DefaultInterval, "how often every VM and VMI is judged again (changes are judged as they happen)")
	fs.IntVar(&f.c.Scan.Workers, "audit-workers", DefaultWorkers, "goroutines that judge objects and write Reports (never admission's)")
	fs.Float64Var(&f.c.QPS, "audit-qps", DefaultQPS, "API requests per second of the scan's own client, with bursts of twice that")
	fs.StringVar(&f.namespace, "leader-election-namespace", "",
		"namespace of the audit's Lease (default: --dialect-probe-namespace, i.e. the service's own namespace)")
	fs.StringVar(&f.c.Election.Name, "leader-election-id", DefaultLeaseName, "name of the audit's Lease")
	fs.DurationVar(&f.c.Election.LeaseDuration, "leader-election-lease-duration", DefaultLeaseDuration,
		"how long after its last renewal a leader that stopped renewing is replaced")
	fs.DurationVar(&f.c.Election.RenewDeadline, "leader-election-renew-deadline", DefaultRenewDeadline,
		"how long the leader keeps trying to renew before it stops scanning")
	fs.DurationVar(&f.c.Election.RetryPeriod, "leader-election-retry-period", DefaultRetryPeriod, "how often candidates try to take the Lease")
}

// Config is the parsed flags; serviceNamespace is the Lease's namespace unless
// --leader-election-namespace names another.
func (f *Flags) Config(serviceNamespace string) (Config, error) {
	c := f.c
	if c.Election.Namespace = f.namespace; c.Election.Namespace == "" {
		c.Election.Namespace = serviceNamespace
	}
	if !c.Enabled {
		return c, nil
	}
	switch {
	case c.Scan.Interval < time.Second:
		return c, fmt.Errorf("--audit-interval must be at least 1s, not %v", c.Scan.Interval)
	case c.Scan.Workers < 1:
		return c, fmt.Errorf("--audit-workers must be at least 1, not %d", c.Scan.Workers)
	case c.QPS <= 0:
		return c, fmt.Errorf("--audit-qps must be positive, not %v", c.QPS)
	case c.Election.Namespace == "":
		return c, fmt.Errorf("--audit needs a namespace for its Lease: pass --leader-election-namespace, " +
			"or --dialect-probe-namespace / POD_NAMESPACE (the service's own namespace)")
	case c.Election.Name == "":
		return c, fmt.Errorf("--leader-election-id must not be empty")
	case !(c.Election.LeaseDuration > c.Election.RenewDeadline && c.Election.RenewDeadline > c.Election.RetryPeriod && c.Election.RetryPeriod > 0):
		return c, fmt.Errorf("leader election needs --leader-election-lease-duration > --leader-election-renew-deadline > "+
			"--leader-election-retry-period > 0, not %v, %v, %v", c.Election.LeaseDuration, c.Election.RenewDeadline, c.Election.RetryPeriod)
	}
	return c, nil
}
