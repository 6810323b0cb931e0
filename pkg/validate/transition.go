package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Transitions applies the rules that compare a VM update with the VM before it, which
// matter only while the VM runs (interface changes then reach the guest live):
// T1, an absent interface stays absent; T2, a new interface of a binding that cannot be
// hot-plugged waits for a restart. running comes from the old VM's status.
func Transitions(specPath *field.Path, spec, old *v1.VirtualMachineInstanceSpec, running bool, d linkstate.Dialect) finding.Findings {
	if !running {
		return nil
	}
	var fs finding.Findings
	ifacesPath := specPath.Child("domain", "devices", "interfaces")
	oldIdx := linkstate.IndexSpec(old)
	for i := range spec.Domain.Devices.Interfaces {
		iface := &spec.Domain.Devices.Interfaces[i]
		statePath := ifacesPath.Index(i).Child("state")
		meaning, _ := d.Interpret(iface.State)
		oldIface := oldIdx.Interface(iface.Name)
		if oldIface == nil {
			fs = append(fs, validateHotplug(statePath, iface, meaning)...)
			continue
		}
		oldMeaning, _ := d.Interpret(oldIface.State)
		if oldMeaning == linkstate.MeaningAbsent && meaning != linkstate.MeaningAbsent {
			// KubeVirt would silently keep the interface unplugged; say it instead.
			fs = append(fs, finding.Deny(finding.RuleAbsentIsFinal, field.Forbidden(statePath, fmt.Sprintf(msgAbsentIsFinal, iface.Name))))
		}
	}
	return fs
}

// validateHotplug is rule T2 for an interface new to a running VM.
func validateHotplug(statePath *field.Path, iface *v1.Interface, meaning linkstate.Meaning) finding.Findings {
	if meaning == linkstate.MeaningAbsent {
		return nil // added and unplugged at once: nothing reaches the guest
	}
	switch b := linkstate.ClassifyBinding(iface); b.Kind {
	case linkstate.BindingBridge, linkstate.BindingNone, linkstate.BindingSRIOV, linkstate.BindingDiscontinued, linkstate.BindingAmbiguous:
		return nil
	default:
		return finding.Findings{finding.Warn(finding.RuleHotplugNotBridged, statePath, fmt.Sprintf(msgHotplugNotBridged, iface.Name, b))}
	}
}
