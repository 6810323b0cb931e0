package domain

import (
	"encoding/json"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// TargetLinks is what a migration target builds its domain with.
type TargetLinks struct {
	// Links is for Apply on the domain the target defines, so each <interface> starts with
	// its link already set and the guest sees no carrier flap.
	Links Links
	// Absent lists, sorted, the interfaces the target must not plug.
	Absent []string
	// Overridden lists, by interface name, where the VMI spec and the stamp disagreed: the
	// spec won. Worth a log line, never a decision.
	Overridden []Override
}

// stampAnnotation is the migration annotation the webhooks stamp (pkg/migration's
// AnnotationInterfaces; a test keeps the two equal). Spelled out here so the launcher side
// does not depend on the webhook's admission packages.
const stampAnnotation = "linkstate.kubevirt.io/interfaces"

// Override is an interface whose VMI spec state won over the migration's stamp.
type Override struct {
	Interface string
	Stamped   string
	Spec      v1.InterfaceState
}

// Target reads the linkstate.kubevirt.io/interfaces stamp the mutating webhook put on a
// migration (stampAnnotation; "" when the migration has none) together
// with the VMI, and says which links to build the target domain with. The contract is the
// README's: the VMI spec wins, being the owner's latest word. Per interface of the spec:
//
//   - a state set in the spec (either dialect's spelling, or absent) is used as it is;
//   - an empty state takes the stamp's value for that interface, if the stamp has one
//     (canonical or alias spelling; empty read as up);
//   - otherwise the link is up.
//
// As in Desired, only bindings that apply link state get a link; absent is reported for
// any binding. Stamp entries for interfaces the spec does not have are ignored.
//
// The onDefineDomain hook reads the same annotation, with the same rule, on the VMI
// itself: that is how a KubeVirt that refuses link states in the spec gets them.
//
// A stamp that is not a JSON object of strings, or holds a value no dialect knows, is an
// error, and so is an unknown state in the spec (as in Desired).
func Target(cfg linkstate.Config, vmi *v1.VirtualMachineInstance, stamp string) (TargetLinks, error) {
	stamped, err := readStamp(cfg.Dialect, stamp)
	if err != nil {
		return TargetLinks{}, err
	}
	t := TargetLinks{Links: Links{}}
	var errs field.ErrorList
	for i := range vmi.Spec.Domain.Devices.Interfaces {
		iface := &vmi.Spec.Domain.Devices.Interfaces[i]
		applies := tapAttached(cfg, linkstate.ClassifyBinding(iface))
		spec, _ := cfg.Dialect.Interpret(iface.State)
		if spec == linkstate.MeaningInvalid {
			if applies {
				errs = append(errs, invalidState(interfacesPath.Index(i).Child("state"), cfg.Dialect, string(iface.State)))
			}
			continue
		}
		effective := spec
		if s, ok := stamped[iface.Name]; ok {
			switch {
			case spec == linkstate.MeaningUnset:
				effective = s.meaning
			case !sameMeaning(spec, s.meaning):
				t.Overridden = append(t.Overridden, Override{Interface: iface.Name, Stamped: s.value, Spec: iface.State})
			}
		}
		if effective == linkstate.MeaningAbsent {
			t.Absent = append(t.Absent, iface.Name)
			continue
		}
		if l, ok := linkOf(effective); ok && applies {
			t.Links[iface.Name] = l
		}
	}
	if len(errs) > 0 {
		return TargetLinks{}, errs.ToAggregate()
	}
	sort.Strings(t.Absent)
	sort.Slice(t.Overridden, func(i, j int) bool { return t.Overridden[i].Interface < t.Overridden[j].Interface })
	return t, nil
}

// sameMeaning compares two states with empty read as up.
func sameMeaning(a, b linkstate.Meaning) bool {
	up := func(m linkstate.Meaning) linkstate.Meaning {
		if m == linkstate.MeaningUnset {
			return linkstate.MeaningUp
		}
		return m
	}
	return up(a) == up(b)
}

type stampedState struct {
	value   string
	meaning linkstate.Meaning
}

// readStamp decodes the annotation's JSON object, interface name -> state.
func readStamp(d linkstate.Dialect, stamp string) (map[string]stampedState, error) {
	if stamp == "" {
		return nil, nil
	}
	var raw map[string]string
	if err := json.Unmarshal([]byte(stamp), &raw); err != nil {
		return nil, fmt.Errorf("annotation %s: not a JSON object of interface name to state: %w", stampAnnotation, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("annotation %s: null is not a JSON object of interface name to state", stampAnnotation)
	}
	out := make(map[string]stampedState, len(raw))
	for _, name := range sortedNames(raw) {
		m, _ := d.Interpret(v1.InterfaceState(raw[name]))
		if m == linkstate.MeaningInvalid {
			return nil, fmt.Errorf("annotation %s: interface %q: unknown state %q: use one of %q", stampAnnotation, name, raw[name], d.LegalValues())
		}
		out[name] = stampedState{value: raw[name], meaning: m}
	}
	return out, nil
}

// tapAttached reports whether virt-launcher attaches an interface of this binding through a
// tap device whose link it can set: the bindings that apply link state, and an interface
// with no binding, which KubeVirt before v1.9 attaches with the cluster's default binding
// (bridge or masquerade; v1.9 refuses such a VMI before it gets here).
func tapAttached(cfg linkstate.Config, b linkstate.Binding) bool {
	return cfg.AppliesLinkState(b) || b.Kind == linkstate.BindingNone
}
