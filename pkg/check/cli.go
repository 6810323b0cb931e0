package check

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/linkstate-webhook/linkstate-webhook/internal/flagvalue"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/dialect"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Main is the check command: `webhook check` and `kubectl linkstate check` both run it,
// with prog naming the command in its usage. It returns the exit status: 0 all allowed,
// 1 any denied, 2 bad input or usage.
func Main(prog string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// The reviewers log through controller-runtime; offline there is nothing to log, and
	// without a logger controller-runtime prints a warning with a stack trace after 30 s.
	logf.SetLogger(logr.Discard())
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files flagvalue.List
	fs.Var(&files, "f", "manifest file (YAML, multi-document, or JSON), directory of them, or - for stdin; repeatable")
	output := fs.String("o", "text", "output format: text or json")
	var rules linkstate.ConfigFlags
	rules.Bind(fs, string(linkstate.Seed))
	var probe dialect.Flags
	probe.BindProbe(fs, "linkstate-webhook-system")
	kubeconfig := fs.String("kubeconfig", "", "with --dialect auto: the cluster whose KubeVirt to ask (default: $KUBECONFIG, then ~/.kube/config)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s -f PATH [-f PATH ...] [--dialect seed|upstream|none|auto] [-o text|json]\n", prog)
		fmt.Fprintln(stderr, "Runs the webhook's mutation then validation (create semantics) on every VirtualMachine,")
		fmt.Fprintln(stderr, "VirtualMachineInstance and VirtualMachineInstanceMigration found; a migration is stamped from the")
		fmt.Fprintln(stderr, "VMI of the same namespace and name in the input. Other kinds are skipped.")
		fmt.Fprintln(stderr, "Exit status: 0 all allowed, 1 any denied, 2 bad input or usage.")
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
	cfg, err := rules.Config()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if rules.Auto() {
		opts, err := probe.Options("")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		var note string
		if cfg.Dialect, note, err = askCluster(*kubeconfig, opts, probe.Namespace()); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		if note != "" {
			fmt.Fprintln(stderr, note)
		}
	}

	// Each document is judged as it is read, but nothing is printed until all of the input
	// has been: a pipeline gets either a complete answer or an error, never a partial list.
	out := newPrinter(*output == "json")
	defer out.Close()
	j := newJudge(cfg, out)
	each := func(d Document) error {
		j.document(d)
		return out.err
	}
	for _, f := range files {
		if err := readInput(f, stdin, each); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	}
	j.finish()
	if err := out.Print(stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if out.denied > 0 {
		return 1
	}
	return 0
}

// readInput reads a file, every manifest file under a directory (sorted, so the output is
// stable), or stdin for "-", handing each document to each.
func readInput(path string, stdin io.Reader, each func(Document) error) error {
	if path == "-" {
		return parseEach("<stdin>", stdin, each)
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return parseFile(path, each)
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
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("%s: no .yaml, .yml or .json files", path)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := parseFile(p, each); err != nil {
			return err
		}
	}
	return nil
}

func parseFile(path string, each func(Document) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return parseEach(path, f, each)
}
