package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// ruleFlags are the settings shared by serve and check: they decide what is legal.
type ruleFlags struct {
	dialect        string
	passtBinding   string
	unknownPlugins string
	supported      listFlag
	unsupported    listFlag
}

func (r *ruleFlags) bind(fs *flag.FlagSet) {
	def := linkstate.DefaultConfig()
	fs.StringVar(&r.dialect, "dialect", string(def.Dialect),
		"canonical spelling of link states: seed (linkUp/linkDown) or upstream (up/down, stock KubeVirt >= v1.5); the other spelling is rewritten with a warning")
	fs.StringVar(&r.passtBinding, "passt-binding", string(def.PasstBinding),
		"what happens to an explicit up/down on the passtBinding binding, which does not apply it: deny or warn")
	fs.Var(&r.supported, "supported-plugins",
		"comma-separated binding plugins whose vendor implements link state: up/down allowed, empty state defaulted")
	fs.Var(&r.unsupported, "unsupported-plugins",
		"comma-separated binding plugins that do not implement link state: up/down denied")
	fs.StringVar(&r.unknownPlugins, "unknown-plugins", string(def.UnknownPlugins),
		"what happens to an explicit up/down on a binding plugin in neither list: warn or deny")
}

func (r *ruleFlags) config() (linkstate.Config, error) {
	cfg := linkstate.DefaultConfig()
	var err error
	if cfg.Dialect, err = linkstate.ParseDialect(r.dialect); err != nil {
		return cfg, fmt.Errorf("--dialect: %w", err)
	}
	if cfg.PasstBinding, err = linkstate.ParseAction(r.passtBinding); err != nil {
		return cfg, fmt.Errorf("--passt-binding: %w", err)
	}
	if cfg.UnknownPlugins, err = linkstate.ParseAction(r.unknownPlugins); err != nil {
		return cfg, fmt.Errorf("--unknown-plugins: %w", err)
	}
	if err = cfg.SetPlugins(r.supported, r.unsupported); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// listFlag is a comma-separated flag that may also be repeated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// defaultedList is a list flag with a default that the first use replaces rather than
// extends; `--flag=` (empty) clears it.
type defaultedList struct {
	values []string
	set    bool
}

func (d *defaultedList) String() string { return strings.Join(d.values, ",") }

func (d *defaultedList) Set(v string) error {
	if !d.set {
		d.values, d.set = nil, true
	}
	l := listFlag(d.values)
	err := l.Set(v)
	d.values = l
	return err
}
