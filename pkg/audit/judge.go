package audit

import (
	"context"

	"k8s.io/apimachinery/pkg/types"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// Subject is a standing VM or VMI as the scanner judges it.
type Subject struct {
	// Object is what the rules read (interfaces, networks, the VM's running status).
	*linkstate.Object
	// UID identifies this incarnation of the object: its Report is owner-referenced to it.
	UID types.UID
	// Labels are the object's own labels, for judges that select objects by label.
	Labels map[string]string
}

// Judge is the seam through which everything that finds against a standing object plugs
// in. The scanner calls it for every VM and VMI, on every change and every full rescan;
// it must be safe for concurrent use and should not block for long (it runs on the
// scanner's workers, never on admission's).
type Judge interface {
	Judge(ctx context.Context, s *Subject) ([]Result, error)
}

// Invalidator is a Judge whose verdicts can change while the objects stay the same (a
// policy added, changed or deleted; a namespace relabelled). It names the namespaces whose
// objects must be judged again ("" for every namespace).
type Invalidator interface {
	Invalidations() <-chan string
}

// Builtin judges with the built-in rules, as admission would judge the object if it were
// created now: every interface (V1, B1, B3, B4, A1, A2, P1). The update-only rules (T1,
// T2) compare an object with its previous version, which a standing object does not have.
type Builtin struct {
	// Rules are the settings in force (the dialect resolver: its dialect can change).
	rules   linkstate.Source
	changed chan string
}

// NewBuiltin judges with rules; call SettingsChanged when they change.
func NewBuiltin(rules linkstate.Source) *Builtin {
	return &Builtin{rules: rules, changed: make(chan string, 1)}
}

// SettingsChanged says the settings (the dialect, found again by the probe) changed, so
// every object must be judged again. It never blocks: one pending rescan covers any
// number of changes.
func (b *Builtin) SettingsChanged() {
	select {
	case b.changed <- "":
	default:
	}
}

// Invalidations implements Invalidator.
func (b *Builtin) Invalidations() <-chan string { return b.changed }

// Judge implements Judge.
func (b *Builtin) Judge(_ context.Context, s *Subject) ([]Result, error) {
	if s.Deleting {
		return nil, nil // about to go, and its Report with it
	}
	return FromFindings(BuiltinPolicy, validate.Object(s.Object, nil, b.rules.Config())), nil
}
