// Command onDefineDomain is a KubeVirt hook that puts a VMI's link states into its domain
// at definition, for KubeVirt's sidecar-shim: it is called as
//
//	onDefineDomain --vmi <VMI JSON> --domain <domain XML>
//
// and prints the domain XML with <link state='down'/> on each <interface> whose VMI
// interface asks for it (and no down <link> on the others), on stdout. Errors go to
// stderr with exit status 1 (bad input) or 2 (bad usage); the shim then fails the domain
// definition rather than start a guest with a link its owner wanted down.
//
// States come from the VMI spec, or, where a spec state is empty, from the VMI's
// linkstate.kubevirt.io/interfaces annotation (a JSON object, interface name -> state):
// that is how a KubeVirt older than v1.5, which refuses link states in the spec, gets
// them. Hooks run at definition only: a change on a running VMI waits for its restart.
// See docs/launcher.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	v1 "kubevirt.io/api/core/v1"
	utiljson "sigs.k8s.io/json"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/domain"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
)

// Exit statuses.
const (
	exitOK    = 0
	exitInput = 1 // the VMI, the domain or a state could not be read or applied
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("onDefineDomain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vmiJSON := fs.String("vmi", "", "the VirtualMachineInstance, as JSON (passed by KubeVirt's sidecar-shim)")
	domainXML := fs.String("domain", "", "the domain, as XML (passed by KubeVirt's sidecar-shim)")
	plugins := fs.String("supported-plugins", "", "comma-separated binding plugins whose <interface> gets a link state too (bridge and masquerade always do)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: onDefineDomain --vmi <VMI JSON> --domain <domain XML> [--supported-plugins a,b]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "onDefineDomain: %s\n", msg)
		fs.Usage()
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *vmiJSON == "" || *domainXML == "" {
		return usage("--vmi and --domain are required")
	}
	cfg := linkstate.DefaultConfig()
	if err := cfg.SetPlugins(splitList(*plugins), nil); err != nil {
		return usage(err.Error())
	}

	var vmi v1.VirtualMachineInstance
	if err := utiljson.UnmarshalCaseSensitivePreserveInts([]byte(*vmiJSON), &vmi); err != nil {
		return fail(stderr, fmt.Errorf("--vmi: cannot read the VirtualMachineInstance: %w", err))
	}
	target, err := domain.Target(cfg, &vmi, vmi.Annotations[migration.AnnotationInterfaces])
	if err != nil {
		return fail(stderr, fmt.Errorf("VirtualMachineInstance %s/%s: %w", vmi.Namespace, vmi.Name, err))
	}
	out, err := domain.Apply([]byte(*domainXML), target.Links)
	if err != nil {
		return fail(stderr, fmt.Errorf("--domain: %w", err))
	}
	// The shim logs stderr line by line into virt-launcher's log.
	for _, o := range target.Overridden {
		fmt.Fprintf(stderr, "onDefineDomain: interface %q: the spec's state %q wins over %q in annotation %s\n",
			o.Interface, o.Spec, o.Stamped, migration.AnnotationInterfaces)
	}
	fmt.Fprintf(stderr, "onDefineDomain: links down: %s\n", downList(target.Links))
	if _, err := stdout.Write(out); err != nil {
		return fail(stderr, err)
	}
	return exitOK
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "onDefineDomain: %v\n", err)
	return exitInput
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// downList names the interfaces set down, sorted, or "none".
func downList(links domain.Links) string {
	var down []string
	for name, l := range links {
		if l == domain.Down {
			down = append(down, name)
		}
	}
	if len(down) == 0 {
		return "none"
	}
	sort.Strings(down)
	return strings.Join(down, ", ")
}
