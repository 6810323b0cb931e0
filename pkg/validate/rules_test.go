package validate_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate/validatetest"
)

// The rule table (validatetest) against the pure rules: every row gives exactly its findings.

func TestInterfaces(t *testing.T) {
	for name, tc := range validatetest.RuleCases {
		t.Run(name, func(t *testing.T) {
			got := validate.Interfaces(validatetest.SpecPath, tc.Spec, tc.ConfigOf())
			if diff := cmp.Diff(tc.Want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	for name, tc := range validatetest.TransitionCases {
		t.Run(name, func(t *testing.T) {
			got := validate.Transitions(validatetest.VMSpecPath, tc.New, tc.Old, tc.Running, linkstate.Seed)
			if diff := cmp.Diff(tc.Want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInterfacesUpdate(t *testing.T) {
	for name, tc := range validatetest.UpdateCases {
		t.Run(name, func(t *testing.T) {
			got := validate.InterfacesUpdate(validatetest.SpecPath, tc.New, tc.Old, linkstate.DefaultConfig())
			if diff := cmp.Diff(tc.Want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
