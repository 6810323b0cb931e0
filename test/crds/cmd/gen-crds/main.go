// Command gen-crds writes KubeVirt's VirtualMachine, VirtualMachineInstance and
// VirtualMachineInstanceMigration CRDs (with KubeVirt's real OpenAPI schemas)
// into a directory and prints the written file paths, one per line.
//
//	go run ./test/crds/cmd/gen-crds -o DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/linkstate-webhook/linkstate-webhook/test/crds"
)

func main() {
	out := flag.String("o", "", "output directory (created if missing)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(),
			"usage: gen-crds -o DIR\n\nWrites KubeVirt CRDs with schemas from kubevirt.io/kubevirt@%s into DIR.\n\n", crds.KubeVirtVersion)
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	paths, err := crds.Generate(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-crds:", err)
		os.Exit(1)
	}
	for _, p := range paths {
		fmt.Println(p)
	}
}
