package reliability

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
	"github.com/linkstate-webhook/linkstate-webhook/test/load"
)

// endpointLag is how long after SIGTERM new connections still reach the pod: Kubernetes
// starts taking a terminating pod out of its Service when it sends the signal, and that
// takes a moment to reach every node.
const endpointLag = 300 * time.Millisecond

// TestGracefulShutdownUnderLoad sends SIGTERM while reviews pour in — half the clients on a
// new connection per review, half on kept-alive ones — and takes the server out of
// rotation the way a Service does (new connections stop, after endpointLag; kept-alive
// ones go on until the server closes them). It requires that:
//   - every review sent gets its whole, well-formed answer: none fails, before the signal
//     or after;
//   - reviews in flight at the signal finish after it, and reviews sent after it are
//     answered too (else the test proved nothing);
//   - /readyz fails during the grace period (while the probe server still answers);
//   - the process exits 0.
//
// The webhook server on its own (no --shutdown-delay) fails this: net/http's Shutdown
// reads a review that was sent before the signal, sees it is shutting down and hangs up,
// so the client gets EOF (see Drain in pkg/server).
func TestGracefulShutdownUnderLoad(t *testing.T) {
	s := startWebhook(t, testpki.WriteInPlace, "--shutdown-delay", "3s", "--shutdown-timeout", "20s")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runner, err := load.Start(ctx, load.Config{
		Addr: s.Addr, RootCAs: s.ca.Pool(), Requests: reviews(),
		Concurrency: 16, FreshConnections: 8, Strict: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Stop()
	waitProgress(t, runner, 300)

	signalled := time.Now()
	if err := s.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	outOfRotation := time.AfterFunc(endpointLag, runner.StopDialing)
	defer outOfRotation.Stop()
	pollUntil(t, "/readyz fails while draining", func() error {
		err := s.Ready()
		if err != nil && strings.Contains(err.Error(), "HTTP 500") {
			return nil
		}
		return errors.New("/readyz does not report the drain")
	})
	select {
	case <-s.Exited():
	case <-time.After(waitLimit):
		t.Fatalf("the webhook did not exit within %v of SIGTERM", waitLimit)
	}
	runner.Stop()
	result := runner.Wait()
	if err := s.ExitErr(); err != nil {
		t.Errorf("the webhook exited with %v, want status 0", err)
	}

	var inFlight, sentAfter int
	for _, o := range result.Outcomes {
		if o.Err != nil {
			continue
		}
		if o.Start.Before(signalled) && o.End.After(signalled) {
			inFlight++
		}
		if o.Start.After(signalled) {
			sentAfter++
		}
	}
	if failures := result.Failures(); len(failures) > 0 {
		t.Errorf("%d of %d reviews got no good answer:%s", len(failures), len(result.Outcomes), describe(failures))
	}
	if inFlight == 0 || sentAfter == 0 {
		t.Errorf("%d reviews in flight at SIGTERM finished after it, %d sent after it were answered: want some of each, or the test exercised nothing",
			inFlight, sentAfter)
	}
	t.Logf("%d reviews; %d in flight at SIGTERM finished after it; %d sent after it answered", len(result.Outcomes), inFlight, sentAfter)
}
