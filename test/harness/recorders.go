package harness

import (
	"context"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
)

// WarningRecorder keeps the warnings the API server returned (HTTP 299 headers), as
// kubectl prints them, until taken. Set it as a rest.Config's WarningHandlerWithContext.
type WarningRecorder struct {
	mu   sync.Mutex
	msgs []string
}

var _ rest.WarningHandlerWithContext = (*WarningRecorder)(nil)

// HandleWarningHeaderWithContext records a 299 warning; it is client-go's hook.
func (w *WarningRecorder) HandleWarningHeaderWithContext(_ context.Context, code int, _ string, msg string) {
	if code != 299 || msg == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

// Take returns and forgets the warnings recorded so far.
func (w *WarningRecorder) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	msgs := w.msgs
	w.msgs = nil
	return msgs
}

// LogBuffer collects a process's output (Options.WebhookLog, WebhookOptions.Log), written
// from the process's copying goroutine, for reading at any time.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
