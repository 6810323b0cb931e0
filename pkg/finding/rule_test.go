package finding

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The README's rule index and the rule IDs in the code are the same set: a rule added,
// renamed or removed on one side fails here until the other follows. Rows marked "never"
// are rules that report nothing (B2 allows, B5 leaves the verdict to KubeVirt).
func TestREADMERuleIndexMatchesTheCode(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "<!-- rule-index:")
	if !ok {
		t.Fatal("README.md has no rule index")
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(table, "\n")[3:] {
		if !strings.HasPrefix(line, "| ") {
			break
		}
		cells := strings.Split(line, "|")
		id, reported := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])
		documented[id] = !strings.HasPrefix(reported, "never")
	}
	var inREADME []string
	for id, reported := range documented {
		if reported {
			inREADME = append(inREADME, id)
		}
	}
	inCode := ruleConstants(t)
	sort.Strings(inREADME)
	sort.Strings(inCode)
	if diff := cmp.Diff(inREADME, inCode); diff != "" {
		t.Errorf("rule IDs reported (-README +code):\n%s", diff)
	}
}

// ruleConstants are the values of this package's Rule constants, read from its source.
func ruleConstants(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "rule.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || spec.Type == nil || spec.Type.(*ast.Ident).Name != "Rule" {
			return true
		}
		for _, v := range spec.Values {
			if lit, ok := v.(*ast.BasicLit); ok {
				id, _ := strconv.Unquote(lit.Value)
				ids = append(ids, id)
			}
		}
		return true
	})
	if len(ids) == 0 {
		t.Fatal("no Rule constants found in rule.go")
	}
	return ids
}
