package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

type getOptions struct {
	output        string
	allNamespaces bool
	noHeaders     bool
	dialect       dialectFlag
}

func newGetCommand(e *env) *cobra.Command {
	o := &getOptions{}
	c := &cobra.Command{
		Use:   "get (vm|vmi) [NAME]",
		Short: "Show the desired and reported link state of each interface",
		Long: templates.LongDesc(`
			Show, for each interface of a VM or VMI, its binding and network, the state the
			spec asks for (DESIRED, canonical spelling, empty shown as up), the link state the
			VMI reports (REPORTED: - when the VM is not running or the interface reports none,
			as SR-IOV does), and whether they agree (IN-SYNC).

			Without a NAME, every VM (or VMI) of the namespace is shown.`),
		Example: templates.Examples(`
			# The interfaces of one VM
			kubectl linkstate get vm web

			# Every VM of a namespace, with model, stored spelling and MAC
			kubectl linkstate get vm -n tenant-a -o wide

			# As JSON, for scripts
			kubectl linkstate get vmi web -o json`),
		ValidArgsFunction: completeObjects(e, false),
		RunE: func(c *cobra.Command, args []string) error {
			t, name, rest, err := objectArgs(c, args, true)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return usageErrorf(c, "unexpected arguments %q: get takes one resource type and at most one name", rest)
			}
			return o.run(e, t, name)
		},
	}
	c.Flags().StringVarP(&o.output, "output", "o", "", "Output format: wide, json or yaml (default: a table).")
	c.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "List the VMs (or VMIs) of every namespace.")
	c.Flags().BoolVar(&o.noHeaders, "no-headers", false, "Print the table without its header line.")
	addDialectFlag(c, &o.dialect, "Spelling to show states in: seed (linkUp/linkDown) or upstream (up/down). "+
		"Default: the one the VM already uses, else upstream.")
	_ = c.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"wide", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp
	})
	return c
}

// reportList is -o json|yaml for several objects, shaped like kubectl's lists.
type reportList struct {
	Items []ownertool.Report `json:"items"`
}

func (o *getOptions) run(e *env, t ownertool.Target, name string) error {
	switch o.output {
	case "", "wide", "json", "yaml":
	default:
		return usageError{fmt.Errorf("unknown output format %q: use wide, json or yaml", o.output)}
	}
	if o.allNamespaces && name != "" {
		return usageError{fmt.Errorf("a name cannot be combined with --all-namespaces")}
	}
	client, ns, err := e.client()
	if err != nil {
		return err
	}
	if o.allNamespaces {
		ns = ""
	}
	ctx, cancel := contextWithSignals()
	defer cancel()
	reports, err := client.Reports(ctx, t, ns, name, o.dialect.value)
	if err != nil {
		return err
	}
	var value any = reportList{Items: reports}
	if name != "" {
		value = reports[0]
	}
	switch o.output {
	case "json":
		enc := json.NewEncoder(e.streams.Out)
		enc.SetIndent("", "    ")
		return enc.Encode(value)
	case "yaml":
		out, err := yaml.Marshal(value)
		if err != nil {
			return err
		}
		_, err = e.streams.Out.Write(out)
		return err
	}
	if len(reports) == 0 {
		if o.allNamespaces {
			fmt.Fprintln(e.streams.ErrOut, "No resources found")
		} else {
			fmt.Fprintf(e.streams.ErrOut, "No resources found in %s namespace.\n", ns)
		}
		return nil
	}
	table := ownertool.Table(reports, ownertool.TableOptions{WithObject: name == "", WithNamespace: o.allNamespaces})
	printer := printers.NewTablePrinter(printers.PrintOptions{Wide: o.output == "wide", NoHeaders: o.noHeaders})
	return printer.PrintObj(table, e.streams.Out)
}
