package audit

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// Election says which Lease decides the scanning replica, and how fast a lost leader is
// replaced: a leader that stops renewing is replaced LeaseDuration after its last
// renewal; one that stops cleanly (SIGTERM) releases the Lease, and another replica takes
// it within RetryPeriod.
type Election struct {
	Namespace, Name string
	LeaseDuration   time.Duration
	RenewDeadline   time.Duration
	RetryPeriod     time.Duration
}

// Defaults of an Election: client-go's and controller-runtime's.
const (
	DefaultLeaseName     = "linkstate-webhook-audit"
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// Leader is the manager runnable of the audit. Every replica runs it and campaigns for
// the Lease; the holder runs the Scanner. It is not the manager's own leader election on
// purpose: the manager exits the process when its lease is lost, and this process serves
// admission, which every VM create waits for. A Leader that loses the Lease stops
// scanning (dropping its caches) and campaigns again; admission never notices.
type Leader struct {
	scanner  *Scanner
	lock     resourcelock.Interface
	election Election
	log      logr.Logger
	// running is held by the scanner's term: a new term never overlaps the last.
	running sync.Mutex
}

// NewLeader campaigns with the identity of this process (host name and a random suffix:
// two processes on one host are two candidates) for the Lease of e, through cfg.
func NewLeader(cfg *rest.Config, e Election, scanner *Scanner) (*Leader, error) {
	if e.Namespace == "" || e.Name == "" {
		return nil, fmt.Errorf("the audit's Lease needs a namespace and a name, not %q/%q", e.Namespace, e.Name)
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("finding this host's name for the Lease: %w", err)
	}
	// Each request of the campaign gives up before the renew deadline.
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = e.RenewDeadline / 2
	clients, err := kubernetes.NewForConfig(rest.AddUserAgent(cfg, "linkstate-webhook-audit-election"))
	if err != nil {
		return nil, err
	}
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, e.Namespace, e.Name, clients.CoreV1(), clients.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: host + "_" + string(uuid.NewUUID())})
	if err != nil {
		return nil, err
	}
	return &Leader{scanner: scanner, lock: lock, election: e, log: logf.Log.WithName("audit")}, nil
}

// Identity is this process's name in the Lease.
func (l *Leader) Identity() string { return l.lock.Identity() }

// NeedLeaderElection is false: the Leader does its own (see Leader).
func (l *Leader) NeedLeaderElection() bool { return false }

// Start campaigns until ctx ends, scanning while it holds the Lease, and releases the
// Lease when ctx ends.
func (l *Leader) Start(ctx context.Context) error {
	leaderGauge.Set(0)
	intervalGauge.Set(l.scanner.opts.Interval.Seconds())
	for ctx.Err() == nil {
		elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            l.lock,
			LeaseDuration:   l.election.LeaseDuration,
			RenewDeadline:   l.election.RenewDeadline,
			RetryPeriod:     l.election.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            l.election.Name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: l.lead,
				OnStoppedLeading: func() { leaderGauge.Set(0) },
			},
		})
		if err != nil {
			return fmt.Errorf("audit leader election: %w", err)
		}
		elector.Run(ctx)
		if ctx.Err() == nil {
			l.log.Info("lost the audit Lease: stopped scanning; campaigning again", "identity", l.Identity())
		}
	}
	// A term still ending finishes before Start returns.
	l.running.Lock()
	defer l.running.Unlock()
	return nil
}

// lead is a term as leader: it scans until the Lease is lost or the process stops.
func (l *Leader) lead(ctx context.Context) {
	l.running.Lock()
	defer l.running.Unlock()
	if ctx.Err() != nil {
		return
	}
	leaderGauge.Set(1)
	l.log.Info("holding the audit Lease: scanning", "identity", l.Identity(), "lease", l.election.Namespace+"/"+l.election.Name)
	// A scan that cannot start (its cache cannot be built) tries again while this
	// replica holds the Lease, rather than hold it idle.
	for {
		err := l.scanner.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		l.log.Error(err, "the audit stopped; starting it again in 30s")
		select {
		case <-ctx.Done():
			return
		case <-time.After(30 * time.Second):
		}
	}
}
