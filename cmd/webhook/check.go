package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/check"
)

func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files listFlag
	fs.Var(&files, "f", "manifest file (YAML, multi-document, or JSON), directory of them, or - for stdin; repeatable")
	output := fs.String("o", "text", "output format: text or json")
	var rules ruleFlags
	rules.bind(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: webhook check -f PATH [-f PATH ...] [--dialect seed|upstream] [-o text|json]")
		fmt.Fprintln(stderr, "Runs the webhook's mutation then validation (create semantics) on every VirtualMachine and")
		fmt.Fprintln(stderr, "VirtualMachineInstance found. Exit status: 0 all allowed, 1 any denied, 2 bad input or usage.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(files) == 0 || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "-o: unknown output format %q: use text or json\n", *output)
		return 2
	}
	cfg, err := rules.config()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}

	// Read everything before judging anything: a pipeline gets either a complete answer or
	// an error, never a partial list.
	var docs []check.Document
	for _, f := range files {
		d, err := readInput(f, stdin)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		docs = append(docs, d...)
	}
	results, skipped := check.Run(docs, cfg)

	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if results == nil {
			results = []check.Result{}
		}
		if err := enc.Encode(results); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	} else {
		check.WriteText(stdout, results, skipped)
	}
	for _, r := range results {
		if !r.Allowed {
			return 1
		}
	}
	return 0
}

// readInput reads a file, every manifest file under a directory (sorted, so the output is
// stable), or stdin for "-".
func readInput(path string, stdin io.Reader) ([]check.Document, error) {
	if path == "-" {
		return check.Parse("<stdin>", stdin)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return parseFile(path)
	}
	var paths []string
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() {
				paths = append(paths, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no .yaml, .yml or .json files", path)
	}
	sort.Strings(paths)
	var docs []check.Document
	for _, p := range paths {
		d, err := parseFile(p)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

func parseFile(path string) ([]check.Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return check.Parse(path, f)
}
