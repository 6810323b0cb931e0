package linkstate_test

import (
	"fmt"
	"testing"

	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The index answers exactly what the linear scans it replaces answer, duplicates and
// missing names included.
func TestSpecIndexAgreesWithScans(t *testing.T) {
	specs := map[string]*v1.VirtualMachineInstanceSpec{
		"empty": Spec(nil),
		"duplicates and a missing network": Spec(
			Ifaces(Bridge("a", "linkUp"), Masquerade("a", "linkDown"), SRIOV("b", ""), Bridge("", "")),
			Multus("a"), Pod("a"), Multus("c"), Multus("")),
		"many": func() *v1.VirtualMachineInstanceSpec {
			s := Spec(nil)
			for i := range 300 {
				s.Domain.Devices.Interfaces = append(s.Domain.Devices.Interfaces, Bridge(fmt.Sprint(i%250), ""))
				s.Networks = append(s.Networks, Multus(fmt.Sprint((i*7)%260)))
			}
			return s
		}(),
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			idx := linkstate.IndexSpec(spec)
			names := []string{"", "a", "b", "c", "d", "0", "249", "259", "299"}
			for _, n := range names {
				var wantNet *v1.Network
				for i := range spec.Networks {
					if spec.Networks[i].Name == n {
						wantNet = &spec.Networks[i]
						break
					}
				}
				if got := idx.Network(n); got != wantNet {
					t.Errorf("Network(%q) = %p, first match = %p", n, got, wantNet)
				}
				var want *v1.Interface
				for i := range spec.Domain.Devices.Interfaces {
					if spec.Domain.Devices.Interfaces[i].Name == n {
						want = &spec.Domain.Devices.Interfaces[i]
						break
					}
				}
				if got := idx.Interface(n); got != want {
					t.Errorf("Interface(%q) = %p, first match = %p", n, got, want)
				}
			}
		})
	}
}
