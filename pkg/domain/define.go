package domain

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Links maps VMI interface names to the link each one's <interface> should have.
type Links map[string]Link

// interfacesPath is where a VMI keeps its interfaces, for errors.
var interfacesPath = field.NewPath("spec", "domain", "devices", "interfaces")

// Desired is the link each interface of the VMI spec asks for, for the interfaces whose
// binding applies link state (cfg.AppliesLinkState: bridge, masquerade, plugins declared
// supported; and no binding, see tapAttached): down for a down state in either dialect's spelling, up for up or no state.
// Absent interfaces and every other binding (SR-IOV, passtBinding, other plugins) are left
// out: nothing here touches their devices.
//
// A state no dialect knows, on one of those bindings, is an error naming the field: a link the owner may have meant
// to be down is not started up (the webhook denies such values; an object stored before
// it was installed can still carry one).
func Desired(cfg linkstate.Config, vmi *v1.VirtualMachineInstance) (Links, error) {
	t, err := Target(cfg, vmi, "")
	if err != nil {
		return nil, err
	}
	return t.Links, nil
}

// linkOf is the link a meaning asks for; ok is false for absent (and invalid).
func linkOf(m linkstate.Meaning) (Link, bool) {
	switch m {
	case linkstate.MeaningUnset, linkstate.MeaningUp:
		return Up, true
	case linkstate.MeaningDown:
		return Down, true
	}
	return "", false
}

func invalidState(p *field.Path, d linkstate.Dialect, value string) *field.Error {
	return field.NotSupported(p, value, d.LegalValues())
}

// Define is Apply with the links the VMI spec asks for (Desired): what virt-launcher does
// to the domain it is about to define, and what the onDefineDomain hook does.
func Define(cfg linkstate.Config, vmi *v1.VirtualMachineInstance, domainXML []byte) ([]byte, error) {
	links, err := Desired(cfg, vmi)
	if err != nil {
		return nil, err
	}
	return Apply(domainXML, links)
}

// Apply returns domainXML with <link state='down'/> on the <interface> of each interface
// that links wants down, and without a down <link> on those it wants up (no <link> is up,
// as KubeVirt writes a fresh domain). Interfaces are found by alias (UserAliasPrefix +
// name). Nothing else changes: an interface already as wanted keeps its bytes, and so does
// every element but the <link>s of the interfaces that change (see the package comment).
//
// An interface wanted down that the domain has no <interface> for, or whose <interface> is
// a passed-through VF (type='hostdev'), is an error: the guest would get a link the owner
// wanted down. Wanted up, either is fine: there is nothing to clear.
func Apply(domainXML []byte, links Links) ([]byte, error) {
	devices, err := scan(domainXML)
	if err != nil {
		return nil, err
	}
	found := map[string]bool{}
	var edits []edit
	var refused []string
	for _, d := range devices {
		name, ok := d.interfaceName()
		want, wanted := links[name]
		if d.hostdev || !ok || !wanted {
			continue
		}
		found[name] = true
		if d.passthrough {
			if want == Down {
				refused = append(refused, fmt.Sprintf("%q is a passed-through host device (type='hostdev'), which has no link to set down", name))
			}
			continue
		}
		if d.link == want {
			continue
		}
		if want == Up {
			edits = append(edits, d.setLink(domainXML, "")...)
		} else {
			edits = append(edits, d.setLink(domainXML, Down)...)
		}
	}
	for _, name := range sortedNames(links) {
		if links[name] == Down && !found[name] {
			refused = append(refused, fmt.Sprintf("%q has no <interface> with alias %q", name, UserAliasPrefix+name))
		}
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("cannot set the link down: %s", strings.Join(refused, "; "))
	}
	if len(edits) == 0 {
		return domainXML, nil
	}
	return splice(domainXML, 0, edits), nil
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
