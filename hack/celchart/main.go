// Command celchart writes the admission policies the Helm chart carries
// (charts/linkstate-webhook/files/cel) from pkg/cel. `make cel-chart` runs it; the chart
// tests fail when the files are not what it writes.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/cel"
)

func main() {
	dir := "charts/linkstate-webhook/files/cel"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	files, err := cel.ChartFiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "celchart:", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "celchart:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "celchart:", err)
			os.Exit(1)
		}
		fmt.Println(path)
	}
}
