package linkstate

import (
	"strings"
	"testing"
)

func TestSetPlugins(t *testing.T) {
	c := DefaultConfig()
	if err := c.SetPlugins([]string{"good", "both", "also-both"}, []string{"bad", "both", "also-both"}); err == nil ||
		!strings.Contains(err.Error(), "[also-both both]") {
		t.Errorf("SetPlugins with overlap: err = %v, want it to name also-both and both", err)
	}
	c = DefaultConfig()
	if err := c.SetPlugins([]string{"good"}, []string{"bad"}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]PluginSupport{"good": PluginSupported, "bad": PluginUnsupported, "other": PluginUnknown} {
		if got := c.Plugin(name); got != want {
			t.Errorf("Plugin(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestAppliesLinkState(t *testing.T) {
	c := DefaultConfig()
	if err := c.SetPlugins([]string{"good"}, []string{"bad"}); err != nil {
		t.Fatal(err)
	}
	tests := map[Binding]bool{
		{Kind: BindingBridge}:                      true,
		{Kind: BindingNone}:                        false,
		{Kind: BindingMasquerade}:                  true,
		{Kind: BindingPlugin, Name: "good"}:        true,
		{Kind: BindingPlugin, Name: "bad"}:         false,
		{Kind: BindingPlugin, Name: "unknown"}:     false,
		{Kind: BindingSRIOV}:                       false,
		{Kind: BindingPasstBinding}:                false,
		{Kind: BindingDiscontinued, Name: "slirp"}: false,
		{Kind: BindingAmbiguous}:                   false,
	}
	for b, want := range tests {
		if got := c.AppliesLinkState(b); got != want {
			t.Errorf("AppliesLinkState(%v) = %v, want %v", b, got, want)
		}
	}
}

func TestParseAction(t *testing.T) {
	for _, ok := range []string{"deny", "warn"} {
		if a, err := ParseAction(ok); err != nil || string(a) != ok {
			t.Errorf("ParseAction(%q) = %q, %v", ok, a, err)
		}
	}
	for _, bad := range []string{"", "allow", "Deny"} {
		if _, err := ParseAction(bad); err == nil {
			t.Errorf("ParseAction(%q): want an error", bad)
		}
	}
}
