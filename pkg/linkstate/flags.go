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

// Bind registers --dialect, --passt-binding, --supported-plugins, --unsupported-plugins
// and --unknown-plugins.
func (f *ConfigFlags) Bind(fs *flag.FlagSet) {
	def := DefaultConfig()
	fs.StringVar(&f.dialect, "dialect", string(def.Dialect),
		"canonical spelling of link states: seed (linkUp/linkDown) or upstream (up/down, stock KubeVirt >= v1.5); the other spelling is rewritten with a warning")
	fs.StringVar(&f.passtBinding, "passt-binding", string(def.PasstBinding),
		"what happens to an explicit up/down on the passtBinding binding, which does not apply it: deny or warn")
	fs.Var(&f.supported, "supported-plugins",
		"comma-separated binding plugins whose vendor implements link state: up/down allowed, empty state defaulted")
	fs.Var(&f.unsupported, "unsupported-plugins",
		"comma-separated binding plugins that do not implement link state: up/down denied")
	fs.StringVar(&f.unknownPlugins, "unknown-plugins", string(def.UnknownPlugins),
		"what happens to an explicit up/down on a binding plugin in neither list: warn or deny")
}

// Config is the parsed flags.
func (f *ConfigFlags) Config() (Config, error) {
	cfg := DefaultConfig()
	var err error
	if cfg.Dialect, err = ParseDialect(f.dialect); err != nil {
		return cfg, fmt.Errorf("--dialect: %w", err)
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
