package chart

import (
	"strings"
	"testing"
)

// The chart refuses clusters older than 1.30, where webhook matchConditions are off by
// default and the shipped webhooks would be called for every VMI status write; vendor
// builds of a supported version are accepted.
func TestKubeVersionConstraint(t *testing.T) {
	tests := map[string]bool{
		"1.29.9":              false,
		"1.30.0":              true,
		"v1.30.2-eks-a737599": true,
		"1.34.4":              true,
	}
	for version, accepted := range tests {
		out, err := runHelm(t, "template", "lw", chartDir, "--kube-version", version)
		if accepted && err != nil {
			t.Errorf("kube %s: refused: %v\n%s", version, err, out)
		}
		if !accepted && (err == nil || !strings.Contains(out+err.Error(), "kubeVersion")) {
			t.Errorf("kube %s: want a kubeVersion refusal, got err=%v", version, err)
		}
	}
}
