package validatetest

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// RuleCase is one row of the rule table for a single spec (a create): Want is what
// validate.Interfaces reports at a VMI's field paths (spec...), with the case's configuration.
type RuleCase struct {
	Spec   *v1.VirtualMachineInstanceSpec
	Config func(*linkstate.Config)
	Want   finding.Findings
}

// ConfigOf is the case's configuration: the defaults, adjusted by the case.
func (c RuleCase) ConfigOf() linkstate.Config {
	cfg := linkstate.DefaultConfig()
	if c.Config != nil {
		c.Config(&cfg)
	}
	return cfg
}

// UpdateCase is one update of a VM or VMI, judged with the default configuration.
type UpdateCase struct {
	Old, New *v1.VirtualMachineInstanceSpec
	Want     finding.Findings
}

// TransitionCase is one update of a VM whose old status says Running (or not).
type TransitionCase struct {
	Old, New *v1.VirtualMachineInstanceSpec
	Running  bool
	Want     finding.Findings
}

// SpecPath is where a VMI's spec sits, the path of the Want findings of RuleCases and
// UpdateCases.
var SpecPath = field.NewPath("spec")

// VMSpecPath is where a VM's VMI spec sits, the path of the Want findings of TransitionCases.
var VMSpecPath = field.NewPath("spec", "template", "spec")

var (
	// statePath is spec.domain.devices.interfaces[i].state, as for a VMI.
	statePath = func(i int) *field.Path {
		return SpecPath.Child("domain", "devices", "interfaces").Index(i).Child("state")
	}
	modelPath = func(i int) *field.Path {
		return SpecPath.Child("domain", "devices", "interfaces").Index(i).Child("model")
	}
	// VMStatePath is spec.template.spec.domain.devices.interfaces[i].state.
	VMStatePath = func(i int) *field.Path {
		return VMSpecPath.Child("domain", "devices", "interfaces").Index(i).Child("state")
	}
	upstream = func(c *linkstate.Config) { c.Dialect = linkstate.Upstream }
	none     = func(c *linkstate.Config) { c.Dialect = linkstate.None }
	plugins  = func(c *linkstate.Config) {
		if err := c.SetPlugins([]string{"good-plugin"}, []string{"bad-plugin"}); err != nil {
			panic(err)
		}
	}
	seedLegal     = []string{"linkUp", "linkDown", "absent", "up", "down"}
	upstreamLegal = []string{"up", "down", "absent", "linkUp", "linkDown"}
)
