package validate

// Texts are the validating rules' user-facing texts, as fmt formats (verbs %q and %s),
// for what must say exactly the same thing elsewhere: pkg/cel renders them into the CEL of
// the generated admission policies, and the rule table's expectations (validatetest) are
// written with them. The rules themselves use the constants in messages.go.
var Texts = TextCatalogue{
	NoLinkState:       msgNoLinkState,
	SRIOV:             msgSRIOV,
	PasstBinding:      msgPasstBinding,
	PluginUnsupported: msgPluginUnsupported,
	PluginUnknown:     msgPluginUnknown,
	AbsentBinding:     msgAbsentBinding,
	AbsentNoBinding:   msgAbsentNoBinding,
	AbsentModel:       msgAbsentModel,
	AbsentDefault:     msgAbsentDefault,
	AbsentDefaultNone: msgAbsentDefaultNoLinkState,
	DefaultNetDown:    msgDefaultNetDown,
	AbsentIsFinal:     msgAbsentIsFinal,
	HotplugNotBridged: msgHotplugNotBridged,
}

// TextCatalogue names each text by the rule that says it; the comment gives the format's
// arguments in order.
type TextCatalogue struct {
	NoLinkState       string // V1 in dialect none
	SRIOV             string // B1
	PasstBinding      string // B3
	PluginUnsupported string // B4: plugin name (%q)
	PluginUnknown     string // B4: plugin name (%q)
	AbsentBinding     string // A1: binding (%s, as linkstate.Binding.String names it)
	AbsentNoBinding   string // A1
	AbsentModel       string // A1
	AbsentDefault     string // A2: the dialect's spelling of link down (%s)
	AbsentDefaultNone string // A2 in dialect none
	DefaultNetDown    string // P1
	AbsentIsFinal     string // T1: interface name (%q)
	HotplugNotBridged string // T2: interface name (%q), binding (%s)
}
