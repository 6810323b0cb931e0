// Package flagvalue holds the list-valued command-line flags the commands share.
package flagvalue

import "strings"

// List is a comma-separated flag that may also be repeated.
type List []string

func (l *List) String() string { return strings.Join(*l, ",") }

// Set adds the comma-separated values of v, ignoring empty ones.
func (l *List) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// DefaultedList is a list flag with a default that the first use replaces rather than
// extends; `--flag=` (empty) clears it.
type DefaultedList struct {
	Values []string
	set    bool
}

func (d *DefaultedList) String() string { return strings.Join(d.Values, ",") }

// Set replaces the default on first use, then adds.
func (d *DefaultedList) Set(v string) error {
	if !d.set {
		d.Values, d.set = nil, true
	}
	l := List(d.Values)
	err := l.Set(v)
	d.Values = l
	return err
}
