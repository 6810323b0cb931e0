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
Each document is judged as it is read, but nothing is printed before all of the input has
been read: bad input anywhere gives exit 2 and no verdicts.

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

	// --policy documents are few and small, and apply to every manifest: read first.
	for _, f := range policyFiles {
		err := readInput(f, stdin, func(doc Document) error {
			if !PolicyOrNamespace(doc) {
				return fmt.Errorf("--policy %s: %s is a %s %s: --policy reads LinkStatePolicies and Namespaces only (judge it with -f)",
					f, doc.Source, doc.APIVersion, doc.Kind)
			}
			opts.Policies = append(opts.Policies, doc)
			return nil
		})
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	}
	opts.Groups = groups

	// Each document is judged as it is read, but nothing is printed until all of the input
	// has been: a pipeline gets either a complete answer or an error, never a partial list.
	in := &replayable{r: stdin}
	defer in.Close()
	out, j, docs, err := judgeAll(files, in, cfg, opts, opts.Policies, *output == "json")
	if err == nil && j.stale {
		// A LinkStatePolicy or Namespace came after manifests it applies to: judge the
		// input again, knowing all of them from the start.
		_ = out.Close()
		out, _, docs, err = judgeAll(files, in.replay(), cfg, opts, j.seen(), *output == "json")
	}
	defer out.Close()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if docs == 0 {
		// A pipeline whose producer emitted nothing must not pass silently.
		fmt.Fprintf(stderr, "%s: no documents in the input (%s): nothing to check\n", prog, strings.Join(files, ", "))
		return 2
	}
	if out.n == 0 {
		fmt.Fprintf(stderr, "%s: no VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration or LinkStatePolicy among %d documents: nothing judged\n", prog, docs)
	}
	if err := out.Print(stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if out.denied > 0 {
		return 1
	}
	return 0
}

// judgeAll judges the documents of files, seeded with the LinkStatePolicies and Namespaces
// of seed and after the --policy documents' own verdicts, into a printer; docs counts the
// documents of files.
func judgeAll(files []string, stdin io.Reader, cfg linkstate.Config, opts Options, seed []Document, json bool) (out *printer, j *judge, docs int, err error) {
	out = newPrinter(json)
	j = newJudge(cfg, opts, out)
	j.seed(seed)
	for _, d := range opts.Policies {
		j.document(d)
	}
	each := func(d Document) error {
		docs++
		j.document(d)
		return out.err
	}
	for _, f := range files {
		if err := readInput(f, stdin, each); err != nil {
			return out, j, docs, err
		}
	}
	j.finish()
	return out, j, docs, out.err
}

// replayable is stdin, kept (spooled) as it is read, so that the input can be judged again.
type replayable struct {
	r    io.Reader
	kept spool
}

func (s *replayable) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		if _, werr := s.kept.Write(p[:n]); werr != nil {
			return n, werr
		}
	}
	return n, err
}

// replay reads again what was read.
func (s *replayable) replay() io.Reader { return s.kept.reader() }

func (s *replayable) Close() error { return s.kept.Close() }

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
