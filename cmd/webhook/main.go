// Command webhook is linkstate-webhook: `serve` runs the admission webhooks, `check` runs
// the same mutation and validation on manifests offline, `cel` prints the rules as
// admission policies the API server applies itself.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/check"
)

const usage = `linkstate-webhook: admission control for the link state of KubeVirt vNICs.

Usage:
  webhook serve [flags]   serve the mutating and validating webhooks over TLS
  webhook check [flags]   mutate and validate VM, VMI and migration manifests offline (exit 0 allowed, 1 denied, 2 error)
  webhook cel [flags]     print the rules as CEL admission policies, for kubectl apply -f - (no webhook needed)
  webhook version         print the build version

Run "webhook <command> -h" for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "check":
		return check.Main("webhook check", args[1:], stdin, stdout, stderr)
	case "cel":
		return celCommand(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version())
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
	return 2
}
