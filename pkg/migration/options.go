package migration

import (
	"flag"
	"fmt"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/internal/flagvalue"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Options are the settings of the migration reviewers.
type Options struct {
	// VMIs reads the VMI a migration names.
	VMIs VMIGetter
	// Signer signs stamps on create and verifies them; nil writes unsigned stamps and
	// checks every claimed stamp against the VMI (the offline check does that).
	Signer *Signer
	// LookupTimeout bounds each VMI read; keep it well under the webhook's timeoutSeconds.
	LookupTimeout time.Duration
	// LookupFailure decides what a failed VMI read (other than not found) does when
	// stamping: warn lets the migration through unstamped — the VMI spec still holds the
	// desired states — and deny refuses it.
	LookupFailure linkstate.Action
	// Exempt may write the owned annotations themselves.
	Exempt Exemptions
}

// DefaultLookupTimeout leaves room within the shipped timeoutSeconds (5) for the rest of
// the review and the network.
const DefaultLookupTimeout = 2 * time.Second

// Flags are the command-line flags of the migration reviewers.
type Flags struct {
	lookupTimeout time.Duration
	lookupFailure string
	exempt        flagvalue.DefaultedList
}

// Bind registers --vmi-lookup-timeout, --migration-lookup-failure and --migration-exempt.
func (f *Flags) Bind(fs *flag.FlagSet) {
	fs.DurationVar(&f.lookupTimeout, "vmi-lookup-timeout", DefaultLookupTimeout,
		"how long the migration webhooks wait for the VMI a migration names; keep it under the webhook's timeoutSeconds")
	fs.StringVar(&f.lookupFailure, "migration-lookup-failure", string(linkstate.ActionWarn),
		"when the VMI of a new migration cannot be read: warn (let it through unstamped, with a warning) or deny")
	f.exempt.Values = DefaultExemptUsers
	fs.Var(&f.exempt, "migration-exempt",
		"comma-separated identities allowed to set the stamped migration annotations: user names, or group:NAME (replaces the default, KubeVirt's service accounts)")
}

// Options are the parsed flags; VMIs and Signer are the caller's to set.
func (f *Flags) Options() (Options, error) {
	failure, err := linkstate.ParseAction(f.lookupFailure)
	if err != nil {
		return Options{}, fmt.Errorf("--migration-lookup-failure: %w", err)
	}
	if f.lookupTimeout <= 0 {
		return Options{}, fmt.Errorf("--vmi-lookup-timeout: must be positive, not %v", f.lookupTimeout)
	}
	return Options{LookupTimeout: f.lookupTimeout, LookupFailure: failure, Exempt: ParseExemptions(f.exempt.Values)}, nil
}

// ExemptIdentities are the --migration-exempt entries, for the startup log.
func (f *Flags) ExemptIdentities() []string { return f.exempt.Values }
