package linkstate

import (
	"flag"
	"fmt"

	"github.com/linkstate-webhook/linkstate-webhook/internal/flagvalue"
)

// ConfigFlags are the command-line flags that decide what is legal; serve and check share
// them, so a manifest checked offline is judged as the cluster judges it.
type ConfigFlags struct {
	dialect        string
	passtBinding   string
	unknownPlugins string
	supported      flagvalue.List
	unsupported    flagvalue.List
}

// DialectAuto is the --dialect value that asks the cluster (see pkg/dialect).
const DialectAuto = "auto"

// Bind registers --dialect (defaulting to defaultDialect), --passt-binding,
// --supported-plugins, --unsupported-plugins and --unknown-plugins.
func (f *ConfigFlags) Bind(fs *flag.FlagSet, defaultDialect string) {
	def := DefaultConfig()
	fs.StringVar(&f.dialect, "dialect", defaultDialect,
		"canonical spelling of link states: auto (ask the cluster's KubeVirt), seed (linkUp/linkDown, the patched images), upstream (up/down, stock KubeVirt >= v1.5) or none (KubeVirt without link state: up/down denied, nothing defaulted); the other spelling is rewritten with a warning")
	fs.StringVar(&f.passtBinding, "passt-binding", string(def.PasstBinding),
		"what happens to an explicit up/down on the passtBinding binding, which does not apply it: deny or warn")
	fs.Var(&f.supported, "supported-plugins",
		"comma-separated binding plugins whose vendor implements link state: up/down allowed, empty state defaulted")
	fs.Var(&f.unsupported, "unsupported-plugins",
		"comma-separated binding plugins that do not implement link state: up/down denied")
	fs.StringVar(&f.unknownPlugins, "unknown-plugins", string(def.UnknownPlugins),
		"what happens to an explicit up/down on a binding plugin in neither list: warn or deny")
}

// Auto reports whether --dialect auto was given: the caller finds the dialect out.
func (f *ConfigFlags) Auto() bool { return f.dialect == DialectAuto }

// Config is the parsed flags. With --dialect auto its Dialect is left empty for the
// caller to find out.
func (f *ConfigFlags) Config() (Config, error) {
	cfg := DefaultConfig()
	var err error
	if f.Auto() {
		cfg.Dialect = ""
	} else if cfg.Dialect, err = ParseDialect(f.dialect); err != nil {
		return cfg, fmt.Errorf("--dialect: %w (or %q)", err, DialectAuto)
	}
	if cfg.PasstBinding, err = ParseAction(f.passtBinding); err != nil {
		return cfg, fmt.Errorf("--passt-binding: %w", err)
	}
	if cfg.UnknownPlugins, err = ParseAction(f.unknownPlugins); err != nil {
		return cfg, fmt.Errorf("--unknown-plugins: %w", err)
	}
	if err = cfg.SetPlugins(f.supported, f.unsupported); err != nil {
		return cfg, err
	}
	return cfg, nil
}
