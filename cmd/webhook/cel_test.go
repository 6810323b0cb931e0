package main

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// kindsAndNames lists a YAML stream's objects as Kind/name.
func kindsAndNames(t *testing.T, stream string) []string {
	t.Helper()
	var out []string
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(stream)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, doc)
		}
		if len(u.Object) > 0 {
			out = append(out, u.GetKind()+"/"+u.GetName())
		}
	}
}

func TestCel(t *testing.T) {
	r := invoke([]string{"cel", "--dialect=upstream", "--namespace=lw", "--prefix=ls", "--mutating=false",
		"--create-namespace=false", "--supported-plugins=b,a", "--passt-binding=warn"}, "")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := []string{
		"ConfigMap/ls-cel-params",
		"ValidatingAdmissionPolicy/ls-cel-params", "ValidatingAdmissionPolicyBinding/ls-cel-params",
		"ValidatingAdmissionPolicy/ls-virtualmachine-deny", "ValidatingAdmissionPolicyBinding/ls-virtualmachine-deny",
		"ValidatingAdmissionPolicy/ls-virtualmachine-warn", "ValidatingAdmissionPolicyBinding/ls-virtualmachine-warn",
		"ValidatingAdmissionPolicy/ls-virtualmachineinstance-deny", "ValidatingAdmissionPolicyBinding/ls-virtualmachineinstance-deny",
		"ValidatingAdmissionPolicy/ls-virtualmachineinstance-warn", "ValidatingAdmissionPolicyBinding/ls-virtualmachineinstance-warn",
	}
	if diff := cmp.Diff(want, kindsAndNames(t, r.stdout)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	for _, s := range []string{
		"#   webhook cel --dialect=upstream --passt-binding=warn --unknown-plugins=warn --supported-plugins=a,b --namespace=lw --prefix=ls --mutating=false --create-namespace=false --failure-policy=Fail\n",
		"  passtBinding: warn\n", "  supportedPlugins: a,b\n", "linkstate.kubevirt.io/dialect: upstream\n",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	if again := invoke([]string{"cel", "--dialect=upstream", "--namespace=lw", "--prefix=ls", "--mutating=false",
		"--create-namespace=false", "--supported-plugins=a,b", "--passt-binding=warn"}, ""); again.stdout != r.stdout {
		t.Error("the same settings in another order gave other output")
	}
}

func TestCelDefaults(t *testing.T) {
	r := invoke([]string{"cel"}, "")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := kindsAndNames(t, r.stdout)
	if got[0] != "Namespace/linkstate-webhook-system" || got[len(got)-1] != "MutatingAdmissionPolicyBinding/linkstate-webhook-virtualmachineinstance-defaults" {
		t.Errorf("objects %v: want the namespace first and the mutating policies last", got)
	}
}

func TestCelBadUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cel", "--dialect=auto"}, "--dialect auto: the policies spell link states when they are generated, and `webhook cel` asks no cluster; pass --dialect seed"},
		{[]string{"cel", "--dialect=none"}, "no policies for dialect none"},
		{[]string{"cel", "--namespace=Not_A_Label"}, `namespace "Not_A_Label"`},
		{[]string{"cel", "--failure-policy=Maybe"}, `failure policy "Maybe": use Fail or Ignore`},
		{[]string{"cel", "--supported-plugins=a", "--unsupported-plugins=a"}, "listed as both supported and unsupported"},
		{[]string{"cel", "extra"}, "unexpected arguments"},
		{[]string{"cel", "--no-such-flag"}, "flag provided but not defined"},
	} {
		r := invoke(tc.args, "")
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q; want 2 and %q", tc.args, r.code, len(r.stdout), r.stderr, tc.want)
		}
	}
}
