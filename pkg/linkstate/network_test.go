package linkstate

import (
	"testing"

	v1 "kubevirt.io/api/core/v1"
)

func TestIsDefaultNetwork(t *testing.T) {
	tests := map[string]struct {
		n    *v1.Network
		want bool
	}{
		"nil (interface without network)": {nil, false},
		"pod":                             {&v1.Network{Name: "p", NetworkSource: v1.NetworkSource{Pod: &v1.PodNetwork{}}}, true},
		"multus default":                  {&v1.Network{Name: "m", NetworkSource: v1.NetworkSource{Multus: &v1.MultusNetwork{NetworkName: "x", Default: true}}}, true},
		"multus secondary":                {&v1.Network{Name: "m", NetworkSource: v1.NetworkSource{Multus: &v1.MultusNetwork{NetworkName: "x"}}}, false},
		"resource claim":                  {&v1.Network{Name: "r", NetworkSource: v1.NetworkSource{ResourceClaim: &v1.ClaimRequest{}}}, false},
		"no source":                       {&v1.Network{Name: "e"}, false},
	}
	for name, tc := range tests {
		if got := IsDefaultNetwork(tc.n); got != tc.want {
			t.Errorf("%s: IsDefaultNetwork = %v, want %v", name, got, tc.want)
		}
	}
}
