package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

// progress is the one-line wait display. On a terminal the line is redrawn in place twice
// a second and cleared at the end (the caller prints the outcome); elsewhere (a pipe, a CI
// log) nothing is drawn, so logs hold only the outcome.
type progress struct {
	out io.Writer
	// width is the terminal's width in columns; nil when out is not a terminal.
	width   func() int
	render  func([]ownertool.Pending, time.Duration) string
	started time.Time

	mu      sync.Mutex
	pending []ownertool.Pending
	drawn   bool
	done    chan struct{}
	once    sync.Once
}

func newProgress(out io.Writer, render func([]ownertool.Pending, time.Duration) string) *progress {
	var width func() int
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		width = func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return w
		}
	}
	return startProgress(out, width, render)
}

func startProgress(out io.Writer, width func() int, render func([]ownertool.Pending, time.Duration) string) *progress {
	p := &progress{out: out, width: width, render: render, started: time.Now(), done: make(chan struct{})}
	if width != nil {
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// update records what is still pending and redraws.
func (p *progress) update(pending []ownertool.Pending) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = pending
	p.draw()
}

// draw rewrites the line, cut to the terminal's width so it never wraps (a wrapped line
// cannot be redrawn in place). Callers hold mu.
func (p *progress) draw() {
	if p.width == nil {
		return
	}
	line := p.render(p.pending, time.Since(p.started))
	if w := p.width(); w > 1 && len([]rune(line)) >= w {
		line = string([]rune(line)[:w-2]) + "…"
	}
	fmt.Fprintf(p.out, "\r\033[K%s", line)
	p.drawn = true
}

// stop ends the display and clears its line; it may be called more than once.
func (p *progress) stop() {
	p.once.Do(func() {
		close(p.done)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.drawn {
			fmt.Fprint(p.out, "\r\033[K")
		}
	})
}

// final is the line for the outcome: every change reported.
func (p *progress) final() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.render(nil, time.Since(p.started))
}
