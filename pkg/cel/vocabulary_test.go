package cel

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func TestSpellings(t *testing.T) {
	seed, err := spellingsOf(linkstate.Seed)
	if err != nil {
		t.Fatal(err)
	}
	want := spellings{
		dialect:   linkstate.Seed,
		values:    []string{"", "linkUp", "linkDown", "absent", "up", "down"},
		meaning:   map[string]string{"": "unset", "linkUp": "up", "linkDown": "down", "absent": "absent", "up": "up", "down": "down"},
		aliases:   []string{"up", "down"},
		canonical: map[string]string{"up": "linkUp", "down": "linkDown"},
		up:        "linkUp", down: "linkDown",
		legal: []string{"linkUp", "linkDown", "absent", "up", "down"},
	}
	if diff := cmp.Diff(want, seed, cmp.AllowUnexported(spellings{})); diff != "" {
		t.Errorf("seed (-want +got):\n%s", diff)
	}
	upstream, err := spellingsOf(linkstate.Upstream)
	if err != nil {
		t.Fatal(err)
	}
	if upstream.up != "up" || upstream.canonical["linkDown"] != "down" || upstream.legal[0] != "up" {
		t.Errorf("upstream: %+v", upstream)
	}
	if _, err := spellingsOf("auto"); err == nil || !strings.Contains(err.Error(), `not "auto"`) {
		t.Errorf("a dialect with no fixed spellings: %v", err)
	}
}

// Every binding member of KubeVirt's Interface is known, as ClassifyBinding reads it.
func TestBindingFields(t *testing.T) {
	fields, err := bindingFields()
	if err != nil {
		t.Fatal(err)
	}
	if n := reflect.TypeOf(v1.InterfaceBindingMethod{}).NumField() + 1; len(fields) != n {
		t.Errorf("%d binding fields, want %d", len(fields), n)
	}
	got := map[string]linkstate.Binding{}
	for _, f := range fields {
		got[f.json] = f.binding
	}
	want := map[string]linkstate.Binding{
		"bridge":       {Kind: linkstate.BindingBridge},
		"masquerade":   {Kind: linkstate.BindingMasquerade},
		"sriov":        {Kind: linkstate.BindingSRIOV},
		"passtBinding": {Kind: linkstate.BindingPasstBinding},
		"slirp":        {Kind: linkstate.BindingDiscontinued, Name: "slirp"},
		"macvtap":      {Kind: linkstate.BindingDiscontinued, Name: "macvtap"},
		"passt":        {Kind: linkstate.BindingDiscontinued, Name: "passt"},
		"binding":      {Kind: linkstate.BindingPlugin},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("binding fields (-want +got):\n%s", diff)
	}
	if fields[len(fields)-1].json != "binding" {
		t.Error("the plugin's member must come last: the kind chain ends with it")
	}
}

func TestRunningStatuses(t *testing.T) {
	if diff := cmp.Diff([]string{"Running", "Paused", "Migrating"}, runningStatuses()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestVariablesTake(t *testing.T) {
	v := newVariables()
	v.add("a", "object.x")
	v.add("b", "variables.a + 1")
	v.add("unused", "variables.b")
	v.add("c", "variables.a + variables.b")
	got, err := v.take("variables.c == 0")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]namedExpr{{"a", "object.x"}, {"b", "variables.a + 1"}, {"c", "variables.a + variables.b"}}, got, cmp.AllowUnexported(namedExpr{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := v.take("variables.nope"); err == nil {
		t.Error("an undefined variable was not reported")
	}
	forward := newVariables()
	forward.add("a", "variables.b")
	forward.add("b", "1")
	if _, err := forward.take("variables.a"); err == nil {
		t.Error("a variable referring to a later one was not reported")
	}
	twice := newVariables()
	twice.add("a", "1")
	twice.add("a", "2")
	if _, err := twice.take("variables.a"); err == nil {
		t.Error("a variable defined twice was not reported")
	}
}
