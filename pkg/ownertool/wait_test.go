package ownertool

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func TestPendingChanges(t *testing.T) {
	changes := []Change{{"blue", 1, "linkUp", "linkDown"}, {"red", 2, "", "linkUp"}, {"gone", 3, "linkUp", "absent"}}
	vmiReporting := func(status ...v1.VirtualMachineInstanceNetworkInterface) *Object {
		return vmiObject("web", nil, status)
	}
	for _, tc := range []struct {
		name string
		vmi  *Object
		want []Pending
	}{
		{"no VMI yet", nil, []Pending{{"blue", "linkDown", ""}, {"red", "linkUp", ""}, {"gone", "absent", ""}}},
		{"nothing applied", vmiReporting(reports("blue", "up"), reports("red", "down"), reports("gone", "up")),
			[]Pending{{"blue", "linkDown", "linkUp"}, {"red", "linkUp", "linkDown"}, {"gone", "absent", "linkUp"}}},
		{"not reported yet", vmiReporting(reports("blue", ""), reports("red", "up"), reports("gone", "up")),
			[]Pending{{"blue", "linkDown", ""}, {"gone", "absent", "linkUp"}}},
		{"all applied", vmiReporting(reports("blue", "down"), reports("red", "up")), nil},
	} {
		if diff := cmp.Diff(tc.want, PendingChanges(tc.vmi, changes, linkstate.Seed)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestProgressLine(t *testing.T) {
	changes := []Change{{"blue", 1, "up", "down"}, {"red", 2, "", "up"}, {"green", 3, "", "up"}}
	pending := []Pending{{"red", "up", "down"}, {"green", "up", ""}}
	got := ProgressLine("vmi/web", changes, pending, linkstate.Upstream, 2340*time.Millisecond, 30*time.Second)
	want := "waiting for vmi/web to report: blue down ✓, red up (reports down), green up (not reported yet) [2.3s/30s]"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got = ProgressLine("vmi/web", changes[:1], nil, linkstate.Upstream, 12400*time.Millisecond, time.Minute)
	if want := "vmi/web reports: blue down ✓ [12s/1m0s]"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got = ProgressLine("vmi/web", changes[:1], nil, linkstate.Upstream, 640*time.Millisecond, 30*time.Second)
	if want := "vmi/web reports: blue down ✓ [0.6s/30s]"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestWaitTimeoutError(t *testing.T) {
	err := &WaitTimeoutError{VMI: "web", Namespace: "ns", Node: "node-1", Timeout: 30 * time.Second,
		Pending: []Pending{{"blue", "down", "up"}, {"red", "up", ""}}}
	for _, want := range []string{
		"timed out after 30s waiting for vmi/web to report the new link state",
		"  blue: desired down, reported up\n",
		"  red: desired up, reported nothing\n",
		"virt-handler on node node-1",
		"kubectl get vmi web -n ns -o jsonpath='{.status.interfaces}'",
		"kubectl describe vmi web -n ns",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, err)
		}
	}
	noVMI := (&WaitTimeoutError{VMI: "web", Namespace: "ns", Timeout: time.Second, NoVMI: true}).Error()
	for _, want := range []string{"vmi/web, which does not exist", "kubectl get vm web -n ns"} {
		if !strings.Contains(noVMI, want) {
			t.Errorf("message lacks %q:\n%s", want, noVMI)
		}
	}
}
