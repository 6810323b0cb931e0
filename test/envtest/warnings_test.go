package envtest

import (
	"context"
	"strings"
	"testing"
)

// Warnings travel from the webhook to the client, which kubectl prints as "Warning: ...".
func TestWarningsReachTheClient(t *testing.T) {
	ns := namespace(t)
	tests := map[string]struct {
		manifest   string
		want       []string // fragments, one per expected warning
		wantStates map[string]string
	}{
		"pod NIC down": {
			manifest: vm("warn-pod", []iface{{name: "default", binding: "masquerade", state: "linkDown"}}, []network{{"default", "pod"}}),
			want: []string{"spec.template.spec.domain.devices.interfaces[0].state: the link of the interface on the default network will be down: " +
				"readiness and liveness probes, services and other cluster traffic through it stop working"},
			wantStates: map[string]string{"default": "linkDown"},
		},
		"unknown binding plugin": {
			manifest: vm("warn-plugin", []iface{{name: "sec", binding: "plugin:acme-tap", state: "linkDown"}}, []network{{"sec", "multus"}}),
			want: []string{`spec.template.spec.domain.devices.interfaces[0].state: binding plugin "acme-tap" is not known to support link state: ` +
				"the link may stay up"},
			wantStates: map[string]string{"sec": "linkDown"},
		},
		"alias spelling": {
			manifest: vm("warn-alias", []iface{{name: "sec", binding: "bridge", state: "down"}}, []network{{"sec", "multus"}}),
			want: []string{`spec.template.spec.domain.devices.interfaces[0].state: "down" is the upstream dialect's spelling; ` +
				`stored as "linkDown", the spelling this cluster uses`},
			wantStates: map[string]string{"sec": "linkDown"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			warnings.Take()
			obj := object(t, ns, tc.manifest)
			if err := c.Create(context.Background(), obj); err != nil {
				t.Fatalf("create: %v", err)
			}
			got := warnings.Take()
			if len(got) != len(tc.want) {
				t.Fatalf("warnings = %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, got[i], w)
				}
			}
			stored := states(t, get(t, vmGVK, ns, obj.GetName()))
			for iface, want := range tc.wantStates {
				if stored[iface] != want {
					t.Errorf("stored %s = %q, want %q", iface, stored[iface], want)
				}
			}
		})
	}
}
