package ownertool

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func TestParseAssignments(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		allowAbsent bool
		want        []Assignment
		err         string
	}{
		{args: []string{"eth1=down", "eth2=up"}, want: []Assignment{{"eth1", linkstate.MeaningDown}, {"eth2", linkstate.MeaningUp}}},
		{args: []string{"eth1=linkDown", "eth2=linkUp"}, want: []Assignment{{"eth1", linkstate.MeaningDown}, {"eth2", linkstate.MeaningUp}}},
		{args: []string{"eth1=absent"}, allowAbsent: true, want: []Assignment{{"eth1", linkstate.MeaningAbsent}}},
		{args: []string{"eth1=absent"}, err: "kubectl linkstate unplug"},
		{args: []string{"eth1=Down"}, err: `unknown state "Down"`},
		{args: []string{"eth1="}, err: "no state given"},
		{args: []string{"eth1"}, err: "want IFACE=STATE"},
		{args: []string{"=down"}, err: "want IFACE=STATE"},
		{args: []string{"eth1=down", "eth1=down"}, err: "named more than once"},
		{args: nil, err: "at least one"},
	} {
		got, err := ParseAssignments(tc.args, tc.allowAbsent)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseAssignments(%q) error = %v, want one containing %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAssignments(%q): %v", tc.args, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseAssignments(%q) (-want +got):\n%s", tc.args, diff)
		}
	}
}
