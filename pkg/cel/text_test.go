package cel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLit(t *testing.T) {
	tests := map[string]string{
		"plain":              `'plain'`,
		"":                   `''`,
		`it's`:               `"it's"`,
		`back\slash`:         `"back\\slash"`,
		"tab\there":          `"tab\there"`,
		`say "hi"`:           `'say "hi"'`,
		"unicode ✓ is fine":  `'unicode ✓ is fine'`,
		"control \x01 char":  `"control \x01 char"`,
		"both ' and \\ here": `"both ' and \\ here"`,
	}
	for in, want := range tests {
		if got := lit(in); got != want {
			t.Errorf("lit(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		format string
		args   []string
		want   string
		err    string
	}{
		{format: "no verbs", want: `'no verbs'`},
		{format: "plugin %q does not", args: []string{"p"}, want: `'plugin ' + strings.quote(p) + ' does not'`},
		{format: "%s and %q", args: []string{"a", "b"}, want: `a + ' and ' + strings.quote(b)`},
		{format: "100%% sure: %s", args: []string{"x"}, want: `'100% sure: ' + x`},
		{format: "cond %s", args: []string{"a ? b : c"}, want: `'cond ' + (a ? b : c)`},
		{format: "%d items", args: []string{"n"}, err: "verb %d has no CEL rendering"},
		{format: "%s and %s", args: []string{"a"}, err: "more verbs than the 1 arguments"},
		{format: "%s", args: []string{"a", "b"}, err: "has 1 verbs for 2 arguments"},
		{format: "trailing %", err: "ends with a bare %"},
	}
	for _, tc := range tests {
		got, err := format(tc.format, tc.args...)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("format(%q): error %v, want one containing %q", tc.format, err, tc.err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("format(%q) = %s, %v; want %s", tc.format, got, err, tc.want)
		}
	}
}

func TestFill(t *testing.T) {
	got, err := fill("at @@b@@ then @@a@@!", hole{"@@a@@", cat{"x"}}, hole{"@@b@@", cat{"'lit'", "y"}})
	if err != nil || got.String() != `'at lit' + y + ' then ' + x + '!'` {
		t.Errorf("fill = %s, %v", got, err)
	}
	if _, err := fill("no token", hole{"@@a@@", cat{"x"}}); err == nil {
		t.Error("a missing token was not reported")
	}
	if _, err := fill("@@a@@ @@a@@", hole{"@@a@@", cat{"x"}}); err == nil {
		t.Error("a token found twice was not reported")
	}
}

func TestConcatMergesLiterals(t *testing.T) {
	if got := concat("'a'", "'b'", "x", "''", `"c\n"`, "'d'"); got != `'ab' + x + "c\n" + 'd'` {
		t.Errorf("concat = %s", got)
	}
	if got := concat(); got != "''" {
		t.Errorf("concat() = %s, want ''", got)
	}
}

// The shapes learnt from apimachinery and pkg/finding: what the webhook prints.
func TestPrints(t *testing.T) {
	path, detail := cat{"p"}, cat{"'detail'"}
	checks := map[string]func() (cat, error){
		`p + ': Invalid value: ' + strings.quote(v) + ': detail'`: func() (cat, error) { return invalidValue(path, "v", detail) },
		`p + ': Unsupported value: ' + strings.quote(v) + ': supported values: "a", "b"'`: func() (cat, error) {
			return notSupported(path, "v", []string{"a", "b"})
		},
		`p + ': Forbidden: detail'`: func() (cat, error) { return forbidden(path, detail) },
		`p + ': detail'`:            func() (cat, error) { return warning(path, detail) },
	}
	for want, print := range checks {
		got, err := print()
		if err != nil || got.String() != want {
			t.Errorf("got %s, %v; want %s", got, err, want)
		}
	}
	form, err := learnListForm()
	if diff := cmp.Diff(listForm{open: "[", sep: ", ", close: "]"}, form, cmp.AllowUnexported(listForm{})); err != nil || diff != "" {
		t.Errorf("list form (-want +got): %s %v", diff, err)
	}
}
