package reliability

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
	"github.com/linkstate-webhook/linkstate-webhook/test/load"
)

// TestCertificateRotationUnderLoad renews the serving certificate twice while reviews
// keep coming, over kept-alive connections and over new ones (each a TLS handshake, some
// of them mid-rotation), and requires that no review fails, that /readyz never falters,
// and that handshakes really saw every certificate in turn. Both ways a certificate gets
// replaced are covered: a tool rewriting the two files (for an instant they do not match)
// and the kubelet swapping a Secret volume's ..data symlink.
func TestCertificateRotationUnderLoad(t *testing.T) {
	writers := map[string]func(dir string, certPEM, keyPEM []byte) error{
		"files rewritten in place":         testpki.WriteInPlace,
		"secret volume swapped atomically": testpki.WriteAtomic,
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			s := startWebhook(t, write)

			var mu sync.Mutex
			handshakes := map[string]int{} // certificate serial -> new connections served it
			served := func(serial string) int {
				mu.Lock()
				defer mu.Unlock()
				return handshakes[serial]
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			runner, err := load.Start(ctx, load.Config{
				Addr: s.Addr, RootCAs: s.ca.Pool(), Requests: reviews(),
				Concurrency: 8, FreshConnections: 4, Strict: true,
				OnHandshake: func(serial string) {
					mu.Lock()
					defer mu.Unlock()
					handshakes[serial]++
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer runner.Stop()
			readiness := pollReadiness(s)
			defer readiness.stop()

			waitProgress(t, runner, 200)
			for _, serial := range []int64{200, 300} {
				certPEM, keyPEM, err := s.issue(serial)
				if err != nil {
					t.Fatal(err)
				}
				written := time.Now()
				if err := write(s.certDir, certPEM, keyPEM); err != nil {
					t.Fatal(err)
				}
				pollUntil(t, fmt.Sprintf("new connections are served certificate %d", serial), func() error {
					if _, failed := runner.Progress(); failed > 0 {
						return nil // reported below, with the failures
					}
					if served(fmt.Sprint(serial)) == 0 {
						return errors.New("not yet")
					}
					return nil
				})
				t.Logf("certificate %d served %v after it was written", serial, time.Since(written).Round(time.Millisecond))
				waitProgress(t, runner, 200) // and reviews go on over it
			}
			runner.Stop()
			result := runner.Wait()
			polls, notReady := readiness.stop()

			if failures := result.Failures(); len(failures) > 0 {
				t.Errorf("%d of %d reviews failed during rotation:%s", len(failures), len(result.Outcomes), describe(failures))
			}
			if polls == 0 || len(notReady) > 0 {
				t.Errorf("/readyz: %d of %d polls failed, first: %v", len(notReady), polls, append(notReady, nil)[0])
			}
			for _, serial := range []string{"100", "200", "300"} {
				if served(serial) == 0 {
					t.Errorf("no connection was served certificate %s: the rotation was not exercised", serial)
				}
			}
			t.Logf("%d reviews; handshakes per certificate serial: %v; %d /readyz polls", len(result.Outcomes), handshakes, polls)
		})
	}
}

// readinessPoller asks /readyz every 10 ms until stopped.
type readinessPoller struct {
	done     chan struct{}
	finished chan struct{}
	polls    int
	failures []error
}

func pollReadiness(s *served) *readinessPoller {
	p := &readinessPoller{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(p.finished)
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-ticker.C:
			}
			p.polls++
			if err := s.Ready(); err != nil {
				p.failures = append(p.failures, err)
			}
		}
	}()
	return p
}

// stop ends the polling (once; later calls return the same) and returns what it saw.
func (p *readinessPoller) stop() (polls int, failures []error) {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	<-p.finished
	return p.polls, p.failures
}
