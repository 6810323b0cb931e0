// Package reliability checks, on the real webhook binary under load, that operations
// which happen in every cluster — the serving certificate being renewed, the pod being
// stopped — break no admission review. Load comes from test/load; envtest's API server is
// there only because the binary's manager needs one.
package reliability

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
	"github.com/linkstate-webhook/linkstate-webhook/test/load"
)

var env *harness.Env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if env, err = load.StartAPIServer(context.Background(), nil); err != nil {
		fmt.Fprintln(os.Stderr, "reliability suite:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the environment:", err)
		}
	}()
	return m.Run()
}

// waitLimit bounds every wait; nothing here should come near it.
const waitLimit = 60 * time.Second

// served is a webhook binary with its own CA and certificate directory.
type served struct {
	*harness.Webhook
	ca      *testpki.CA
	certDir string
	log     *harness.LogBuffer
}

// startWebhook runs the binary with a certificate (serial 100) written by write.
func startWebhook(t *testing.T, write func(dir string, cert, key []byte) error, args ...string) *served {
	t.Helper()
	ca, err := testpki.NewCA("linkstate-webhook load CA")
	if err != nil {
		t.Fatal(err)
	}
	s := &served{ca: ca, certDir: t.TempDir(), log: &harness.LogBuffer{}}
	certPEM, keyPEM, err := s.issue(100)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(s.certDir, certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	s.Webhook, err = harness.StartWebhook(ctx, harness.WebhookOptions{
		Binary: env.Binary, Kubeconfig: env.Kubeconfig, CertDir: s.certDir, Args: args, Log: s.log,
	})
	if err != nil {
		t.Fatalf("%v\n--- webhook log ---\n%s", err, s.log)
	}
	t.Cleanup(func() {
		if err := s.Stop(waitLimit); err != nil && !t.Failed() {
			t.Errorf("stopping the webhook: %v", err)
		}
		if t.Failed() {
			t.Logf("--- webhook log ---\n%s", s.log)
		}
	})
	return s
}

// issue signs a loopback serving certificate with a fresh key, as a renewal does.
func (s *served) issue(serial int64) (certPEM, keyPEM []byte, err error) {
	return s.ca.IssueLoopback(fmt.Sprintf("linkstate-webhook serving %d", serial), serial)
}

// reviews are what the load posts: each VM create's mutating and validating review.
func reviews() []load.Request {
	return []load.Request{
		{Path: server.PathMutateVM, UID: "rel-mutate", Body: workload.Review("rel-mutate", workload.Create,
			workload.VM("vm", "ns", 4, false), nil)},
		{Path: server.PathValidateVM, UID: "rel-validate", Body: workload.Review("rel-validate", workload.Create,
			workload.VM("vm", "ns", 4, true), nil)},
		{Path: server.PathValidateVM, UID: workload.UpdateUID, Body: workload.UpdateReview(2)},
	}
}

// waitProgress polls until the runner has finished at least n more requests than it had.
func waitProgress(t *testing.T, r *load.Runner, n int) {
	t.Helper()
	start, _ := r.Progress()
	pollUntil(t, fmt.Sprintf("%d more reviews answered", n), func() error {
		if done, _ := r.Progress(); done < start+n {
			return fmt.Errorf("%d so far", done-start)
		}
		return nil
	})
}

// pollUntil waits up to waitLimit for try to succeed.
func pollUntil(t *testing.T, what string, try func() error) {
	t.Helper()
	testwait.Until(t, what, waitLimit, try)
}

// describe lists up to a few failures for a test message, those on an accepted
// connection first.
func describe(failures []load.Outcome) string {
	failures = slices.Clone(failures)
	slices.SortStableFunc(failures, func(a, b load.Outcome) int {
		return cmp.Compare(boolRank(a.GotConn.IsZero()), boolRank(b.GotConn.IsZero()))
	})
	var b strings.Builder
	for i, f := range failures {
		if i == 5 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(failures)-5)
			break
		}
		fmt.Fprintf(&b, "\n  fresh=%v reused=%v gotConn=%v firstByte=%v: %v", f.Fresh, f.Reused, !f.GotConn.IsZero(), f.FirstByte, f.Err)
	}
	return b.String()
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
