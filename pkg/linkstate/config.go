package linkstate

import (
	"fmt"
	"sort"
)

// Action is what happens to an explicit up/down on a binding whose support is in doubt.
type Action string

const (
	ActionDeny Action = "deny"
	ActionWarn Action = "warn"
)

// ParseAction accepts "deny" or "warn".
func ParseAction(s string) (Action, error) {
	switch Action(s) {
	case ActionDeny, ActionWarn:
		return Action(s), nil
	}
	return "", fmt.Errorf("unknown action %q: use %q or %q", s, ActionDeny, ActionWarn)
}

// PluginSupport is what the cluster operator says about a binding plugin's vendor.
type PluginSupport string

const (
	PluginSupported   PluginSupport = "supported"
	PluginUnsupported PluginSupport = "unsupported"
	PluginUnknown     PluginSupport = "unknown"
)

// Config holds the cluster settings the rules and the defaulting depend on.
// The zero value is not usable; start from DefaultConfig.
type Config struct {
	Dialect Dialect
	// PasstBinding is what happens to up/down on the core passtBinding binding (rule B3),
	// whose launcher side does not apply link state.
	PasstBinding Action
	// Plugins maps binding plugin names (as in the KubeVirt CR) to their vendor's support.
	Plugins map[string]PluginSupport
	// UnknownPlugins is what happens to up/down on a plugin missing from Plugins (rule B4).
	UnknownPlugins Action
}

// DefaultConfig is the seed dialect, passtBinding denied, unknown plugins warned about.
func DefaultConfig() Config {
	return Config{Dialect: Seed, PasstBinding: ActionDeny, UnknownPlugins: ActionWarn}
}

// SetPlugins records plugin support lists. A name in both lists is an error: the operator
// must decide.
func (c *Config) SetPlugins(supported, unsupported []string) error {
	c.Plugins = make(map[string]PluginSupport, len(supported)+len(unsupported))
	for _, n := range supported {
		c.Plugins[n] = PluginSupported
	}
	var both []string
	for _, n := range unsupported {
		if c.Plugins[n] == PluginSupported {
			both = append(both, n)
		}
		c.Plugins[n] = PluginUnsupported
	}
	if len(both) > 0 {
		sort.Strings(both)
		return fmt.Errorf("binding plugins listed as both supported and unsupported: %v", both)
	}
	return nil
}

// Plugin says what is known of a binding plugin's link-state support.
func (c Config) Plugin(name string) PluginSupport {
	if s, ok := c.Plugins[name]; ok {
		return s
	}
	return PluginUnknown
}

// AppliesLinkState reports whether an interface with this binding is known to honour a
// link state: bridge, masquerade and plugins declared supported. Only these are defaulted
// to link up (rule D1); defaulting any other would create a denial or a warning the user
// never asked for. An interface with no binding is not among them: until it names one,
// KubeVirt v1.9 rejects it and older releases decide its binding themselves.
func (c Config) AppliesLinkState(b Binding) bool {
	switch b.Kind {
	case BindingBridge, BindingMasquerade:
		return true
	case BindingPlugin:
		return c.Plugin(b.Name) == PluginSupported
	}
	return false
}

// Source gives the settings in force for one review. A running service's dialect can
// change (--dialect auto asks the cluster again from time to time), so reviewers ask for
// every request rather than keep a copy.
type Source interface {
	Config() Config
}

// Static is a Source that never changes: settings given explicitly, the offline check,
// tests.
type Static Config

// Config implements Source.
func (s Static) Config() Config { return Config(s) }
