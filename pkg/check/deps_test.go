package check

import (
	"os/exec"
	"strings"
	"testing"
)

// The offline check runs the reviewers themselves: it neither counts decisions in the
// server's Prometheus metrics nor needs the HTTP wiring, so it does not depend on it.
func TestCheckDoesNotDependOnTheServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/linkstate-webhook/linkstate-webhook/pkg/server" {
			t.Errorf("pkg/check depends on %s", dep)
		}
	}
}
