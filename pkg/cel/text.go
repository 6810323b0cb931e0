package cel

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// lit is s as a CEL string literal: single-quoted when that needs no escapes, else Go's
// double-quoted form, whose escapes (\", \\, \n, \xHH, \uHHHH) CEL reads the same way.
func lit(s string) string {
	plain := !strings.ContainsAny(s, `'\`)
	for _, r := range s {
		if !unicode.IsPrint(r) {
			plain = false
		}
	}
	if plain {
		return "'" + s + "'"
	}
	return strconv.Quote(s)
}

// listLit is a CEL list of string literals.
func listLit(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = lit(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// mapLit is a CEL map of string literals, keys in the order given.
func mapLit(keys []string, m map[string]string) string {
	entries := make([]string, len(keys))
	for i, k := range keys {
		entries[i] = lit(k) + ": " + lit(m[k])
	}
	return "{" + strings.Join(entries, ", ") + "}"
}

// concat joins CEL string expressions with +, dropping empty literals. A part that could
// hold an operator binding looser than + (a conditional, a comparison) is parenthesised.
func concat(parts ...string) string {
	var kept []string
	for _, p := range parts {
		switch {
		case p == "''" || p == "":
		case len(kept) > 0 && simpleLiteral(kept[len(kept)-1]) && simpleLiteral(p):
			last := kept[len(kept)-1]
			kept[len(kept)-1] = last[:len(last)-1] + p[1:]
		case looseOperator.MatchString(p):
			kept = append(kept, "("+p+")")
		default:
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return "''"
	}
	return strings.Join(kept, " + ")
}

// looseOperator finds operators that bind looser than +.
var looseOperator = regexp.MustCompile(` \? |\|\||&&|==|!=| <=? | >=? | in `)

// simpleLiteral reports whether p is a single-quoted literal with no escapes, which can be
// joined with the next by dropping the quotes between them.
func simpleLiteral(p string) bool {
	return len(p) >= 2 && p[0] == '\'' && p[len(p)-1] == '\'' && !strings.ContainsAny(p[1:len(p)-1], `'\`)
}

// cat is a CEL string expression kept as the parts it adds up, so that texts built into
// texts flatten into one sum, adjacent literals merged (String does that).
type cat []string

func (c cat) String() string { return concat(c...) }

// quote is CEL's rendering of Go's %q for a string expression (see docs/cel.md for where
// the two differ: control characters).
func quote(expr string) cat { return cat{"strings.quote(" + expr + ")"} }

// format renders a fmt format of the rule texts (verbs %s and %q only, and %%) as a CEL
// string expression, each verb taking the next CEL expression of args.
func format(f string, args ...string) (cat, error) {
	var parts cat
	var literal strings.Builder
	next := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			literal.WriteByte(f[i])
			continue
		}
		if i+1 == len(f) {
			return nil, fmt.Errorf("format %q ends with a bare %%", f)
		}
		i++
		verb := f[i]
		if verb == '%' {
			literal.WriteByte('%')
			continue
		}
		if verb != 's' && verb != 'q' {
			return nil, fmt.Errorf("format %q: verb %%%c has no CEL rendering (only %%s and %%q)", f, verb)
		}
		if next == len(args) {
			return nil, fmt.Errorf("format %q has more verbs than the %d arguments given", f, len(args))
		}
		parts = append(parts, lit(literal.String()))
		literal.Reset()
		if verb == 'q' {
			parts = append(parts, quote(args[next])...)
		} else {
			parts = append(parts, args[next])
		}
		next++
	}
	if next != len(args) {
		return nil, fmt.Errorf("format %q has %d verbs for %d arguments", f, next, len(args))
	}
	return append(parts, lit(literal.String())), nil
}

// A hole is a token in a text printed by Go code, to be replaced by a CEL expression.
type hole struct {
	token string
	expr  cat
}

// fill turns text — something Go code printed with tokens where values go — into a CEL
// expression that prints the same with the holes' expressions in place of the tokens.
// Every token must occur exactly once: anything else means the printing changed shape.
func fill(text string, holes ...hole) (cat, error) {
	type at struct {
		pos int
		h   hole
	}
	var found []at
	for _, h := range holes {
		if n := strings.Count(text, h.token); n != 1 {
			return nil, fmt.Errorf("%q: want the token %q once, found it %d times", text, h.token, n)
		}
		found = append(found, at{strings.Index(text, h.token), h})
	}
	// Holes in the order they appear.
	for i := range found {
		for j := i + 1; j < len(found); j++ {
			if found[j].pos < found[i].pos {
				found[i], found[j] = found[j], found[i]
			}
		}
	}
	var parts cat
	last := 0
	for _, f := range found {
		if f.pos < last {
			return nil, fmt.Errorf("%q: tokens overlap", text)
		}
		parts = append(append(parts, lit(text[last:f.pos])), f.h.expr...)
		last = f.pos + len(f.h.token)
	}
	return append(parts, lit(text[last:])), nil
}
