package server

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// Drain is the webhook's stop sequence. Kubernetes sends SIGTERM as it starts taking the
// pod out of the Service, not once it has: for a while reviews keep coming, on new
// connections and on the API server's kept-alive ones. The webhook server, asked to stop,
// calls net/http's Shutdown at once, which drops every review already sent but not yet
// read — it reads the request, sees it is shutting down and hangs up — so the API server
// gets EOF for a review it sent before the pod was told to stop (TestGracefulShutdown-
// UnderLoad, in test/reliability, catches exactly that). With Drain, SIGTERM first starts
// a grace period of Delay during which everything is still served, /readyz fails, and
// every answer carries Connection: close so clients take their next review elsewhere;
// only then does the manager stop the server, by when nothing should arrive any more.
type Drain struct {
	// Delay is how long reviews are still served after the signal. Kubernetes needs a
	// few seconds to take a terminating pod out of its endpoints everywhere; Delay plus
	// the shutdown timeout must fit the pod's terminationGracePeriodSeconds.
	Delay    time.Duration
	draining atomic.Bool
}

// Context returns a context that ends Delay after parent ends (parent being the signal
// context, ctrl.SetupSignalHandler()); the grace period starts when parent ends.
func (d *Drain) Context(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	go func() {
		<-parent.Done()
		d.draining.Store(true)
		timer := time.NewTimer(d.Delay)
		defer timer.Stop()
		<-timer.C
		cancel()
	}()
	return ctx
}

// Draining reports whether the grace period has started.
func (d *Drain) Draining() bool { return d.draining.Load() }

// Handler serves h; during the grace period its answers ask the client to close the
// connection, so that kept-alive connections move to another replica one by one instead
// of being closed under a client about to reuse them.
func (d *Drain) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

var errDraining = errors.New("shutting down: still answering reviews, taking no new ones")

// Checker fails during the grace period, for /readyz.
func (d *Drain) Checker() healthz.Checker {
	return func(*http.Request) error {
		if d.draining.Load() {
			return errDraining
		}
		return nil
	}
}
