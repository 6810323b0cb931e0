package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
)

func TestDrainContext(t *testing.T) {
	t.Run("the grace period starts with the signal and holds the context open", func(t *testing.T) {
		d := &server.Drain{Delay: time.Hour}
		signal, stop := context.WithCancel(context.Background())
		ctx := d.Context(signal)
		if d.Draining() || d.Checker()(nil) != nil {
			t.Fatal("draining before the signal")
		}
		stop()
		pollUntil(t, "draining after the signal", func() error {
			if !d.Draining() {
				return errors.New("not draining")
			}
			return nil
		})
		if ctx.Err() != nil {
			t.Errorf("the context ended at the signal, want it open for the grace period")
		}
		if err := d.Checker()(nil); err == nil {
			t.Errorf("readiness passes while draining")
		}
	})
	t.Run("the context ends after the grace period", func(t *testing.T) {
		d := &server.Drain{Delay: time.Millisecond}
		signal, stop := context.WithCancel(context.Background())
		ctx := d.Context(signal)
		stop()
		select {
		case <-ctx.Done():
		case <-time.After(waitLimit):
			t.Fatalf("the context did not end within %v of a 1ms grace period", waitLimit)
		}
	})
}

// TestDrainHandler: during the grace period answers close their connection, over a real
// server, so a kept-alive client reconnects (elsewhere) for its next review.
func TestDrainHandler(t *testing.T) {
	d := &server.Drain{Delay: time.Hour}
	srv := httptest.NewServer(d.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})))
	defer srv.Close()

	get := func() *http.Response {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get(); resp.Close {
		t.Errorf("before the signal: the answer closes the connection")
	}
	signal, stop := context.WithCancel(context.Background())
	d.Context(signal)
	stop()
	pollUntil(t, "draining", func() error {
		if !d.Draining() {
			return errors.New("not draining")
		}
		return nil
	})
	if resp := get(); !resp.Close || resp.StatusCode != http.StatusOK {
		t.Errorf("draining: HTTP %d, close=%v; want 200 closing the connection", resp.StatusCode, resp.Close)
	}
}
