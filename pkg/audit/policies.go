package audit

import (
	"context"
	"strings"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// Policies judges with the built-in rules and, on top of them, the LinkStatePolicies in
// force, in every mode: what admission would find if the object were created now, by a
// requester no policy exempts. An Audit-mode policy's findings are reported as what the
// policy would do if enforced (fail for a denial, warn for a warning).
type Policies struct {
	*Builtin
	source policy.Source
}

// NewPolicies judges with builtin's rules and source's policies.
func NewPolicies(builtin *Builtin, source policy.Source) *Policies {
	return &Policies{Builtin: builtin, source: source}
}

// Judge implements Judge. Until the policies are loaded it fails, and the scanner tries
// the object again later: judging without them would drop their results.
func (p *Policies) Judge(ctx context.Context, s *Subject) ([]Result, error) {
	if s.Deleting {
		return nil, nil
	}
	cfg := p.rules.Config()
	fs, err := policy.Apply(ctx, p.source, policy.Request{Object: s.Object, Namespace: s.Namespace, Dialect: cfg.Dialect},
		validate.Object(s.Object, nil, cfg))
	if err != nil {
		return nil, err
	}
	return FromFindings(BuiltinPolicy, fs), nil
}

// PolicyNames are the names of the policies in force, for their status; nil when they
// are not known yet.
func (p *Policies) PolicyNames(ctx context.Context) []string {
	set, err := p.source.Policies(ctx)
	if err != nil {
		return nil
	}
	return append([]string{}, set.Names()...)
}

// WatchPolicies asks for everything to be judged again (b.SettingsChanged) whenever the
// Set of policies in force changes (a policy added, changed or deleted), checking every
// period until ctx ends. A Set is immutable and replaced on every change, so a change is
// a new pointer: the check is one atomic load. Namespaces' labels (for namespaceSelector)
// are not watched here: a relabelled namespace is judged again by the next full scan.
func WatchPolicies(ctx context.Context, source policy.Source, b *Builtin, period time.Duration) {
	var last *policy.Set
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		if set, err := source.Policies(ctx); err == nil && set != last {
			if last != nil {
				b.SettingsChanged()
			}
			last = set
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// auditedOutcome is what an Audit-mode policy's record would do if enforced: its text
// says "would deny" or "would warn" (pkg/policy's audit records).
func auditedOutcome(f finding.Finding) (Outcome, bool) {
	switch {
	case strings.Contains(f.Warning, " would deny: "):
		return Fail, true
	case strings.Contains(f.Warning, " would warn: "):
		return Warn, true
	}
	return "", false // "would be allowed": relaxing a rule is no violation
}
