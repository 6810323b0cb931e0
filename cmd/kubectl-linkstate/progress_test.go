package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

func render(pending []ownertool.Pending, _ time.Duration) string {
	if len(pending) == 0 {
		return "vmi/web reports: blue down ✓"
	}
	return "waiting for vmi/web to report: blue down (reports up)"
}

// On a terminal the line is redrawn in place, cut to the width, and cleared at the end.
func TestProgressOnATerminal(t *testing.T) {
	var b bytes.Buffer
	p := startProgress(&b, func() int { return 30 }, render)
	p.update([]ownertool.Pending{{Interface: "blue", Want: "down", Reported: "up"}})
	p.update(nil)
	p.stop()
	p.stop()
	// 30 columns: 28 runes and an ellipsis, so the cursor never wraps.
	want := "\r\033[Kwaiting for vmi/web to repor…" + "\r\033[Kvmi/web reports: blue down ✓" + "\r\033[K"
	if got := b.String(); !strings.HasPrefix(got, "\r\033[Kwaiting for vmi/web to repor…") || !strings.HasSuffix(got, "\r\033[Kvmi/web reports: blue down ✓\r\033[K") {
		t.Errorf("got %q\nwant %q (ticks may redraw in between)", got, want)
	}
	if got := p.final(); got != "vmi/web reports: blue down ✓" {
		t.Errorf("final: %q", got)
	}
}

// Elsewhere nothing is drawn: logs get only the outcome, which the caller prints.
func TestProgressElsewhere(t *testing.T) {
	var b bytes.Buffer
	p := startProgress(&b, nil, render)
	p.update([]ownertool.Pending{{Interface: "blue"}})
	p.stop()
	if b.Len() != 0 {
		t.Errorf("drew %q", b.String())
	}
}
