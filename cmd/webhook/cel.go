package main

import (
	"flag"
	"fmt"
	"io"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/cel"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// celCommand prints the rules as admission policies: `webhook cel | kubectl apply -f -`.
func celCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := cel.DefaultOptions()
	var rules linkstate.ConfigFlags
	rules.Bind(fs, string(linkstate.DefaultConfig().Dialect))
	namespace := fs.String("namespace", def.Namespace,
		"the webhook's namespace: never judged (like kube-system), and home of the params ConfigMap")
	prefix := fs.String("prefix", def.Prefix, "start of every generated name")
	mutating := fs.Bool("mutating", def.Mutating,
		"generate the MutatingAdmissionPolicies (defaulting, D1 and D2); they need Kubernetes >= 1.34 with the MutatingAdmissionPolicy feature gate and admissionregistration.k8s.io/v1beta1")
	createNamespace := fs.Bool("create-namespace", def.CreateNamespace, "include the namespace itself")
	failurePolicy := fs.String("failure-policy", string(def.FailurePolicy), "Fail or Ignore: what the API server does when a policy cannot be evaluated")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: webhook cel [rule flags] [--dialect seed|upstream] [--namespace NS] [--mutating=false]")
		fmt.Fprintln(stderr, "Prints the rules CEL can express as ValidatingAdmissionPolicies and MutatingAdmissionPolicies,")
		fmt.Fprintln(stderr, "with their bindings and the ConfigMap of runtime settings, as YAML for `kubectl apply -f -`.")
		fmt.Fprintln(stderr, "The rule flags set the ConfigMap's initial settings; the dialect is fixed in the policies.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return 2
	}
	// The policies spell link states when they are written, and this command reads no
	// cluster: a dialect found by asking one (auto) cannot be fixed here.
	if rules.Auto() {
		fmt.Fprintln(stderr, "--dialect auto: the policies spell link states when they are generated, and `webhook cel` asks no cluster; "+
			"pass --dialect seed (linkUp/linkDown, the patched images) or --dialect upstream (up/down, stock KubeVirt >= v1.5). "+
			"`kubectl linkstate check --dialect auto` or the webhook's /dialect endpoint tell which one a cluster uses")
		return 2
	}
	cfg, err := rules.Config()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	opts := cel.Options{
		Config:          cfg,
		Namespace:       *namespace,
		Prefix:          *prefix,
		Mutating:        *mutating,
		CreateNamespace: *createNamespace,
		FailurePolicy:   admissionregistrationv1.FailurePolicyType(*failurePolicy),
	}
	policies, err := cel.Generate(opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := cel.WriteYAML(stdout, cel.Header(opts), policies.Objects()); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
