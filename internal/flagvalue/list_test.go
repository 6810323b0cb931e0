package flagvalue

import (
	"flag"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultedListReplacesItsDefault(t *testing.T) {
	tests := map[string]struct {
		args []string
		want []string
	}{
		"default kept":       {nil, []string{"a", "b"}},
		"first use replaces": {[]string{"--l=c"}, []string{"c"}},
		"later uses append":  {[]string{"--l=c,d", "--l=e"}, []string{"c", "d", "e"}},
		"empty clears":       {[]string{"--l="}, nil},
		"blanks are dropped": {[]string{"--l= x , ,y"}, []string{"x", "y"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l := &DefaultedList{Values: []string{"a", "b"}}
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.Var(l, "l", "")
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, l.Values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}
