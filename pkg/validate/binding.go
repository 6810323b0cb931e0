package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// validateBindingSupport judges an explicit up/down against the interface's binding:
// B1 SR-IOV (deny), B2 bridge and masquerade (allow), B3 passtBinding (deny or warn),
// B4 binding plugins (per plugin), B5 discontinued bindings (not judged: KubeVirt rejects them).
func validateBindingSupport(statePath *field.Path, iface *v1.Interface, b linkstate.Binding, cfg linkstate.Config) finding.Findings {
	switch b.Kind {
	case linkstate.BindingSRIOV:
		return finding.Findings{finding.Deny(finding.RuleSRIOV, field.Invalid(statePath, iface.State, msgSRIOV))}
	case linkstate.BindingPasstBinding:
		if cfg.PasstBinding == linkstate.ActionWarn {
			return finding.Findings{finding.Warn(finding.RulePasstBinding, statePath, msgPasstBinding)}
		}
		return finding.Findings{finding.Deny(finding.RulePasstBinding, field.Invalid(statePath, iface.State, msgPasstBinding))}
	case linkstate.BindingPlugin:
		return validatePlugin(statePath, iface.State, b.Name, cfg)
	}
	return nil
}

func validatePlugin(statePath *field.Path, state v1.InterfaceState, plugin string, cfg linkstate.Config) finding.Findings {
	switch cfg.Plugin(plugin) {
	case linkstate.PluginSupported:
		return nil
	case linkstate.PluginUnsupported:
		return finding.Findings{finding.Deny(finding.RuleBindingPlugin, field.Invalid(statePath, state, fmt.Sprintf(msgPluginUnsupported, plugin)))}
	}
	msg := fmt.Sprintf(msgPluginUnknown, plugin)
	if cfg.UnknownPlugins == linkstate.ActionDeny {
		return finding.Findings{finding.Deny(finding.RuleBindingPlugin, field.Invalid(statePath, state, msg))}
	}
	return finding.Findings{finding.Warn(finding.RuleBindingPlugin, statePath, msg)}
}
