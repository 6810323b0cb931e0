package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The README's check samples are real: each block marked <!-- check-output: … --> is the
// command it shows, run from the repository's root, and exactly what it printed.
func TestREADMECheckOutput(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	blocks := strings.Split(string(readme), "<!-- check-output: ")[1:]
	if len(blocks) < 2 {
		t.Fatalf("README.md has %d check-output blocks, want the text and the JSON one", len(blocks))
	}
	for _, b := range blocks {
		name, rest, _ := strings.Cut(b, " -->\n```\n")
		block, _, ok := strings.Cut(rest, "```\n")
		command, want, cut := strings.Cut(block, "\n")
		if !ok || !cut || !strings.HasPrefix(command, "$ webhook ") {
			t.Fatalf("block %s: not a ``` block starting with $ webhook …", name)
		}
		got := invoke(strings.Fields(strings.TrimPrefix(command, "$ webhook ")), "")
		if diff := cmp.Diff(want, got.stdout); diff != "" {
			t.Errorf("README block %s (%s) differs from what it prints (-README +real):\n%s", name, command, diff)
		}
	}
}
