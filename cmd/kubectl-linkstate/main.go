// Command kubectl-linkstate is the VM owner's tool for the link state of KubeVirt vNICs, run
// as a kubectl plugin: `kubectl linkstate get|set|unplug|check`. See docs/kubectl-linkstate.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

// Exit statuses (docs/kubectl-linkstate.md lists them for users).
const (
	exitOK = 0
	// exitFailed: the request failed — denied, forbidden, not found, aborted — and nothing
	// was changed; or it could not be read.
	exitFailed = 1
	// exitUsage: bad arguments or flags; nothing was sent.
	exitUsage = 2
	// exitTimeout: the change is stored but the VMI did not report it within --timeout.
	exitTimeout = 3
)

func main() {
	os.Exit(run(os.Args[1:], genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}

func run(args []string, streams genericiooptions.IOStreams) int {
	root := newRootCommand(streams)
	root.SetArgs(args)
	return reportError(root.Execute(), streams.ErrOut)
}

// reportError prints err the way kubectl does (cmdutil.CheckErr: "error: …",
// "Error from server (Forbidden): …", "The VirtualMachine "x" is invalid: …") and returns
// the exit status.
func reportError(err error, errOut io.Writer) int {
	if err == nil {
		return exitOK
	}
	var exit exitStatus
	if errors.As(err, &exit) {
		return int(exit) // the command printed its own result (check)
	}
	code := exitFailed
	var usage usageError
	var timeout *ownertool.WaitTimeoutError
	switch {
	case errors.As(err, &usage):
		code, err = exitUsage, usage.err
	case errors.As(err, &timeout):
		code = exitTimeout
	}
	cmdutil.BehaviorOnFatal(func(msg string, _ int) {
		if msg != "" && msg[len(msg)-1] != '\n' {
			msg += "\n"
		}
		fmt.Fprint(errOut, msg)
	})
	defer cmdutil.DefaultBehaviorOnFatal()
	cmdutil.CheckErr(err)
	return code
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

// exitStatus ends the program with a status, printing nothing more.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// buildVersion is stamped by `make kubectl-linkstate`: -ldflags "-X main.buildVersion=…".
var buildVersion string

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
