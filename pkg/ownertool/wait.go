package ownertool

import (
	"fmt"
	"strings"
	"time"

	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Pending is an interface whose reported state does not match what was set yet.
type Pending struct {
	Interface string
	Want      v1.InterfaceState
	// Reported is what the VMI reports now, in the same spelling; empty when nothing.
	Reported v1.InterfaceState
}

// PendingChanges compares what the VMI reports (nil: no VMI yet) with the states the
// changes stored, in dialect d. An absent interface is done once the VMI stops listing it.
func PendingChanges(vmi *Object, changes []Change, d linkstate.Dialect) []Pending {
	var pending []Pending
	for _, c := range changes {
		var status *v1.VirtualMachineInstanceNetworkInterface
		if vmi != nil {
			for i := range vmi.Status {
				if vmi.Status[i].Name == c.Interface {
					status = &vmi.Status[i]
					break
				}
			}
		}
		var linkState string
		if status != nil {
			linkState = status.LinkState
		}
		reported, inSync := compare(d, d.Resolve(c.To), vmi != nil, status != nil, linkState)
		if inSync == nil || !*inSync {
			pending = append(pending, Pending{Interface: c.Interface, Want: d.Resolve(c.To), Reported: reported})
		}
	}
	return pending
}

// ProgressLine is the one-line wait display: every interface waited for, ticked once its
// VMI reports the state, and the time spent out of the time allowed.
func ProgressLine(ref string, changes []Change, pending []Pending, d linkstate.Dialect, elapsed, timeout time.Duration) string {
	waiting := map[string]Pending{}
	for _, p := range pending {
		waiting[p.Interface] = p
	}
	parts := make([]string, len(changes))
	for i, c := range changes {
		p, ok := waiting[c.Interface]
		switch {
		case !ok:
			parts[i] = fmt.Sprintf("%s %s ✓", c.Interface, d.Resolve(c.To))
		case p.Reported == "":
			parts[i] = fmt.Sprintf("%s %s (not reported yet)", c.Interface, p.Want)
		default:
			parts[i] = fmt.Sprintf("%s %s (reports %s)", c.Interface, p.Want, p.Reported)
		}
	}
	verb := "waiting for " + ref + " to report"
	if len(pending) == 0 {
		verb = ref + " reports"
	}
	return fmt.Sprintf("%s: %s [%s/%s]", verb, strings.Join(parts, ", "), seconds(elapsed), timeout)
}

// seconds shows a short wait to a tenth of a second (0.6s), a longer one to the second.
func seconds(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// WaitTimeoutError is returned when the VMI did not report every change within --timeout.
// The change itself is stored: only its effect in the guest is not confirmed.
type WaitTimeoutError struct {
	// VMI names the VMI waited on; Namespace its namespace; Node where it runs.
	VMI, Namespace, Node string
	Timeout              time.Duration
	// NoVMI is set when the VMI never existed during the wait.
	NoVMI   bool
	Pending []Pending
}

func (e *WaitTimeoutError) Error() string {
	var b strings.Builder
	if e.NoVMI {
		fmt.Fprintf(&b, "timed out after %s waiting for vmi/%s, which does not exist: the VM's spec holds the change, "+
			"which reaches the guest when the VM starts.\nLook at the VM's status (kubectl get vm %s -n %s) "+
			"and its events (kubectl describe vm %s -n %s).", e.Timeout, e.VMI, e.VMI, e.Namespace, e.VMI, e.Namespace)
		return b.String()
	}
	fmt.Fprintf(&b, "timed out after %s waiting for vmi/%s to report the new link state; the spec holds it, "+
		"the guest may not have it yet. Still pending:\n", e.Timeout, e.VMI)
	for _, p := range e.Pending {
		reported := string(p.Reported)
		if reported == "" {
			reported = "nothing"
		}
		fmt.Fprintf(&b, "  %s: desired %s, reported %s\n", p.Interface, p.Want, reported)
	}
	node := "the VMI's node"
	if e.Node != "" {
		node = "node " + e.Node
	}
	fmt.Fprintf(&b, "virt-handler on %s applies link states and reports them in the VMI's status.interfaces. Look there "+
		"(kubectl get vmi %s -n %s -o jsonpath='{.status.interfaces}'), at the VMI's events "+
		"(kubectl describe vmi %s -n %s) and at virt-handler's log on %s.",
		node, e.VMI, e.Namespace, e.VMI, e.Namespace, node)
	return b.String()
}
