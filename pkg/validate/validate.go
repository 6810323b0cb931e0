package validate

import (
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Object judges a VM or VMI: on create (old == nil) every interface; on update the
// interfaces that changed, and for a VM the running-VM transitions (T1, T2).
func Object(obj, old *linkstate.Object, cfg linkstate.Config) finding.Findings {
	specPath := obj.Kind.SpecPath
	if old == nil {
		return Interfaces(specPath, &obj.Spec, cfg)
	}
	fs := InterfacesUpdate(specPath, &obj.Spec, &old.Spec, cfg)
	if obj.Kind.GroupKind == linkstate.VirtualMachine.GroupKind {
		fs = append(fs, Transitions(specPath, &obj.Spec, &old.Spec, old.Running, cfg.Dialect)...)
	}
	return fs
}
