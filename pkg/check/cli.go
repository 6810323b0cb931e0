package check

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/linkstate-webhook/linkstate-webhook/internal/cli"
	"github.com/linkstate-webhook/linkstate-webhook/internal/flagvalue"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/dialect"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

const usage = `Usage: %[1]s -f PATH [-f PATH ...] [--policy PATH ...] [--as USER] [--dialect seed|upstream|none|auto] [-o text|json] [rule flags]

Runs the webhook's mutation, then validation of the mutated object (create semantics), on
every VirtualMachine, VirtualMachineInstance and VirtualMachineInstanceMigration in the
input, as the cluster's webhooks would. A migration is stamped from the VMI of the same
namespace and name in the input. LinkStatePolicies found (and in --policy files) are
checked as the API server would and applied as the webhook would, with the labels of the
Namespaces found; a namespace not in the input has only its name label. Other kinds are
skipped (and listed). PATH is a YAML or
JSON file (several documents, kubectl's List unwrapped), a directory of them, or - (stdin).
Input is read completely before anything is judged: bad input anywhere gives exit 2 and no
verdicts.

Exit status: 0 all allowed, 1 any denied, 2 bad input (or no documents at all) or usage.

Flags:
`

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
	var policyFiles, groups flagvalue.List
	fs.Var(&policyFiles, "policy", "LinkStatePolicies and Namespaces (file, directory or -), applied like those among the manifests; repeatable")
	var opts Options
	fs.StringVar(&opts.User, "as", "", "user the manifests are applied as, for the policies' exemptions (e.g. system:serviceaccount:argocd:argocd-application-controller)")
	fs.Var(&groups, "as-group", "comma-separated groups of that user, for the policies' exemptions; repeatable")
	fs.StringVar(&opts.Namespace, "n", "default", "namespace of manifests that name none, as kubectl apply -n")
	var rules linkstate.ConfigFlags
	rules.Bind(fs, string(linkstate.Seed))
	var probe dialect.Flags
	probe.BindProbe(fs, "linkstate-webhook-system")
	kubeconfig := fs.String("kubeconfig", "", "with --dialect auto: the cluster whose KubeVirt to ask (default: $KUBECONFIG, then ~/.kube/config)")
	if code, done := cli.Parse(fs, args, stdout, stderr, fmt.Sprintf(usage, prog)); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "%s: unexpected argument %q: give inputs with -f (-f %s)\nRun '%s -h' for usage.\n", prog, fs.Arg(0), fs.Arg(0), prog)
		return 2
	case len(files) == 0:
		fmt.Fprintf(stderr, "%s: no input: give a file, a directory or - (stdin) with -f\nRun '%s -h' for usage.\n", prog, prog)
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

	// Read everything before judging anything: a pipeline gets either a complete answer or
	// an error, never a partial list.
	var docs []Document
	for _, f := range files {
		d, err := readInput(f, stdin)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		docs = append(docs, d...)
	}
	if len(docs) == 0 {
		// A pipeline whose producer emitted nothing must not pass silently.
		fmt.Fprintf(stderr, "%s: no documents in the input (%s): nothing to check\n", prog, strings.Join(files, ", "))
		return 2
	}
	for _, f := range policyFiles {
		d, err := readInput(f, stdin)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		for _, doc := range d {
			if !PolicyOrNamespace(doc) {
				fmt.Fprintf(stderr, "--policy %s: %s is a %s %s: --policy reads LinkStatePolicies and Namespaces only (judge it with -f)\n",
					f, doc.Source, doc.APIVersion, doc.Kind)
				return 2
			}
		}
		opts.Policies = append(opts.Policies, d...)
	}
	opts.Groups = groups
	report := RunWith(docs, cfg, opts)
	results := report.Results
	if len(results) == 0 {
		fmt.Fprintf(stderr, "%s: no VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration or LinkStatePolicy among %d documents: nothing judged\n", prog, len(docs))
	}

	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if results == nil {
			results = []Result{}
		}
		if err := enc.Encode(results); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	} else {
		WriteReport(stdout, report)
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
func readInput(path string, stdin io.Reader) ([]Document, error) {
	if path == "-" {
		return Parse("<stdin>", stdin)
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
	var docs []Document
	for _, p := range paths {
		d, err := parseFile(p)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

func parseFile(path string) ([]Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(path, f)
}
