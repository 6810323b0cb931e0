package policy

import (
	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
)

// level orders effects: when several verdicts meet on one finding, the highest wins.
type level int8

const (
	levelNone level = iota
	// levelAudit records the finding; the request is answered as if it were not there.
	levelAudit
	levelWarn
	levelDeny
)

// modeLevel is the effect of a policy's own findings (L1, L2) in its mode. The API
// server defaults an omitted mode to Enforce; manifests read offline may still omit it.
func modeLevel(m v1alpha1.Mode) level {
	switch m {
	case v1alpha1.ModeWarn:
		return levelWarn
	case v1alpha1.ModeAudit:
		return levelAudit
	}
	return levelDeny
}

func effectLevel(e v1alpha1.Effect) level {
	if e == v1alpha1.EffectWarn {
		return levelWarn
	}
	return levelDeny
}

// builtinLevel is the effect the built-in rules gave a finding.
func builtinLevel(f finding.Finding) level {
	switch {
	case f.Denies():
		return levelDeny
	case f.Audited:
		return levelAudit
	}
	return levelWarn
}

// verb names what a level does, for audit records ("would deny").
func (l level) verb() string {
	switch l {
	case levelDeny:
		return "deny"
	case levelWarn:
		return "warn"
	case levelAudit:
		return "be recorded"
	}
	return "be allowed"
}
