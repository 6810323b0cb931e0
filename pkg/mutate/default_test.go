package mutate

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func TestDefaultStates(t *testing.T) {
	seed := linkstate.DefaultConfig()
	upstream := linkstate.DefaultConfig()
	upstream.Dialect = linkstate.Upstream
	none := linkstate.DefaultConfig()
	none.Dialect = linkstate.None
	withPlugins := linkstate.DefaultConfig()
	if err := withPlugins.SetPlugins([]string{"good"}, []string{"bad"}); err != nil {
		t.Fatal(err)
	}
	aliasWarning := func(i int, from, dialect, to string) finding.Finding {
		return finding.Warn(finding.RuleAliasRewrite, field.NewPath("spec", "domain", "devices", "interfaces").Index(i).Child("state"),
			fmt.Sprintf(msgAliasRewritten, from, dialect, to))
	}
	tests := map[string]struct {
		cfg          linkstate.Config
		in           []v1.Interface
		want         []v1.InterfaceState
		wantWarnings finding.Findings
	}{
		"D1: empty becomes linkUp on bridge and masquerade": {
			cfg: seed, in: Ifaces(Bridge("a", ""), Masquerade("b", "")),
			want: []v1.InterfaceState{"linkUp", "linkUp"},
		},
		// KubeVirt v1.9 rejects an interface with no binding, and older releases pick its
		// binding themselves: it is left as written (empty is link up anyway).
		"D1: empty stays empty on an interface with no binding": {
			cfg: seed, in: Ifaces(NoBinding("a", "")),
			want: []v1.InterfaceState{""},
		},
		"D1: empty stays empty where link state is not applied": {
			cfg: seed, in: Ifaces(SRIOV("a", ""), PasstBinding("b", ""), Slirp("c", ""), BridgeAndMasquerade("d", "")),
			want: []v1.InterfaceState{"", "", "", ""},
		},
		"D1: plugins are defaulted only when supported": {
			cfg: withPlugins, in: Ifaces(Plugin("a", "good", ""), Plugin("b", "bad", ""), Plugin("c", "unknown", "")),
			want: []v1.InterfaceState{"linkUp", "", ""},
		},
		"D1: explicit and invalid values are left alone": {
			cfg: seed, in: Ifaces(Bridge("a", "linkDown"), Bridge("b", "absent"), Bridge("c", "sideways"), SRIOV("d", "linkDown")),
			want: []v1.InterfaceState{"linkDown", "absent", "sideways", "linkDown"},
		},
		"D2: upstream spellings become seed spellings, with a warning each": {
			cfg: seed, in: Ifaces(Bridge("a", "up"), SRIOV("b", "down")),
			want:         []v1.InterfaceState{"linkUp", "linkDown"},
			wantWarnings: finding.Findings{aliasWarning(0, "up", "upstream", "linkUp"), aliasWarning(1, "down", "upstream", "linkDown")},
		},
		"D1 and D2 in the upstream dialect": {
			cfg: upstream, in: Ifaces(Bridge("a", ""), Bridge("b", "linkDown"), Bridge("c", "down")),
			want:         []v1.InterfaceState{"up", "down", "down"},
			wantWarnings: finding.Findings{aliasWarning(1, "linkDown", "seed", "down")},
		},
		"no interfaces": {cfg: seed},
		// The cluster's KubeVirt has no link state: nothing to default, no spelling to prefer.
		"D1 and D2 do nothing in the none dialect": {
			cfg: none, in: Ifaces(Bridge("a", ""), Masquerade("b", ""), Bridge("c", "down"), Bridge("d", "linkUp"), Bridge("e", "absent")),
			want: []v1.InterfaceState{"", "", "down", "linkUp", "absent"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			spec := Spec(tc.in)
			before := append([]v1.Interface(nil), spec.Domain.Devices.Interfaces...)
			out, warnings := DefaultStates(field.NewPath("spec"), spec, tc.cfg)
			var got []v1.InterfaceState
			for _, i := range out {
				got = append(got, i.State)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantWarnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, spec.Domain.Devices.Interfaces); diff != "" {
				t.Errorf("DefaultStates modified its input (-before +after):\n%s", diff)
			}
			// Converges: defaulting the output changes nothing and warns of nothing.
			again, warnings := DefaultStates(field.NewPath("spec"), Spec(out), tc.cfg)
			if diff := cmp.Diff(out, again); diff != "" || len(warnings) > 0 {
				t.Errorf("second pass changed (-first +second):\n%s\nwarnings: %v", diff, warnings)
			}
		})
	}
}

func TestStatePatch(t *testing.T) {
	before := Ifaces(Bridge("a", ""), Bridge("b", "up"), Bridge("c", "linkDown"))
	after := Ifaces(Bridge("a", "linkUp"), Bridge("b", "linkUp"), Bridge("c", "linkDown"))
	got := StatePatch(linkstate.VirtualMachine, before, after)
	want := `[{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/0/state","value":"linkUp"},` +
		`{"op":"replace","path":"/spec/template/spec/domain/devices/interfaces/1/state","value":"linkUp"}]`
	if s := marshal(t, got); s != want {
		t.Errorf("patch = %s\nwant    %s", s, want)
	}
	if got := StatePatch(linkstate.VirtualMachineInstance, after, after); len(got) != 0 {
		t.Errorf("equal states: patch = %v, want none", got)
	}
}
