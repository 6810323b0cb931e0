// Package testwait is the one way tests wait for something that happens eventually: a
// server that becomes ready, a webhook configuration the API server picks up, an object
// that goes away.
package testwait

import (
	"testing"
	"time"
)

// Interval is how often Until retries.
const Interval = 50 * time.Millisecond

// Until calls try until it returns nil, failing the test with what and try's last error
// once within has passed. Waits are generous: a passing test returns as soon as it can.
func Until(t testing.TB, what string, within time.Duration, try func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := try()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, within, err)
		}
		time.Sleep(Interval)
	}
}
