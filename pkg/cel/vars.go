package cel

import (
	"fmt"
	"regexp"
)

// variables are CEL variable definitions in the order they are defined: a policy's
// variables may refer only to those before them.
type variables struct {
	names []string
	exprs map[string]string
	err   error
}

func newVariables() *variables { return &variables{exprs: map[string]string{}} }

// add defines a variable; definitions are checked when a policy takes them (take).
func (v *variables) add(name, expr string) {
	if _, dup := v.exprs[name]; dup && v.err == nil {
		v.err = fmt.Errorf("variable %s defined twice", name)
	}
	v.names = append(v.names, name)
	v.exprs[name] = expr
}

// addErr defines a variable whose expression could not be built, keeping the first error.
func (v *variables) addErr(name, expr string, err error) {
	if err != nil && v.err == nil {
		v.err = fmt.Errorf("variable %s: %w", name, err)
	}
	v.add(name, expr)
}

var reference = regexp.MustCompile(`\bvariables\.([A-Za-z_][A-Za-z0-9_]*)`)

// take returns, in definition order, the variables the expressions refer to, directly or
// through other variables: a policy carries only what it uses.
func (v *variables) take(exprs ...string) ([]namedExpr, error) {
	if v.err != nil {
		return nil, v.err
	}
	needed := map[string]bool{}
	var visit func(expr string) error
	visit = func(expr string) error {
		for _, m := range reference.FindAllStringSubmatch(expr, -1) {
			name := m[1]
			if needed[name] {
				continue
			}
			def, ok := v.exprs[name]
			if !ok {
				return fmt.Errorf("variables.%s is used but not defined", name)
			}
			needed[name] = true
			if err := visit(def); err != nil {
				return err
			}
		}
		return nil
	}
	for _, e := range exprs {
		if err := visit(e); err != nil {
			return nil, err
		}
	}
	var out []namedExpr
	defined := map[string]bool{}
	for _, name := range v.names {
		if needed[name] {
			for _, m := range reference.FindAllStringSubmatch(v.exprs[name], -1) {
				if !defined[m[1]] {
					return nil, fmt.Errorf("variable %s refers to %s, defined after it", name, m[1])
				}
			}
			out = append(out, namedExpr{name, v.exprs[name]})
		}
		defined[name] = true
	}
	return out, nil
}

type namedExpr struct {
	name, expr string
}
