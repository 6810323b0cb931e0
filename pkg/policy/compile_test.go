package policy

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
)

func TestCompile(t *testing.T) {
	p, err := Compile(read(t, `{metadata: {name: p}, spec: {namespaceSelector: {}, objectSelector: {matchLabels: {tier: prod}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	// An omitted mode is Enforce, as the CRD defaults it; an empty selector selects all.
	if p.Mode != v1alpha1.ModeEnforce || p.namespaces != nil {
		t.Errorf("mode %q, namespaces %v; want Enforce and every namespace", p.Mode, p.namespaces)
	}
	if !p.objects.Matches(labels.Set{"tier": "prod"}) || p.objects.Matches(labels.Set{"tier": "dev"}) {
		t.Errorf("objectSelector %v does not select tier=prod alone", p.objects)
	}
	if p.allowedText != "up, down and absent" {
		t.Errorf("omitted allowedStates allow %q, want all three", p.allowedText)
	}
}

// The one check the CRD cannot make: a matchLabels key that is no label key. Compile
// refuses it; the policy's Ready condition says so.
func TestCompileRefusesAMatchLabelsKeyTheCRDCannotCheck(t *testing.T) {
	_, err := Compile(read(t, `{metadata: {name: p}, spec: {namespaceSelector: {matchLabels: {"bad key!": x}}}}`))
	if err == nil || !strings.Contains(err.Error(), "spec.namespaceSelector") || !strings.Contains(err.Error(), "bad key!") {
		t.Errorf("Compile: %v; want an error naming spec.namespaceSelector and the key", err)
	}
}

func TestCompileRefusesWhatValidateRefuses(t *testing.T) {
	if _, err := Compile(read(t, `{metadata: {name: p}, spec: {rules: {B1: Warn}}}`)); err == nil || !strings.Contains(err.Error(), msgRuleRelaxed) {
		t.Errorf("Compile: %v; want %q", err, msgRuleRelaxed)
	}
}
