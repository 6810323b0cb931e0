package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/kubectl/pkg/util/templates"
	kubectlterm "k8s.io/kubectl/pkg/util/term"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

// env is what every subcommand shares: the kubectl connection flags and the streams.
type env struct {
	flags   *genericclioptions.ConfigFlags
	streams genericiooptions.IOStreams
}

func newRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	e := &env{flags: genericclioptions.NewConfigFlags(true), streams: streams}
	root := &cobra.Command{
		Use:   "kubectl-linkstate",
		Short: "See and change the link state of KubeVirt VM interfaces",
		Long: templates.LongDesc(`
			See and change the link state of the interfaces (vNICs) of KubeVirt VirtualMachines
			and VirtualMachineInstances: up, down, or unplugged.

			get shows, per interface, the state the VM's spec asks for next to the one its
			VMI reports; set changes states with one safe patch and waits until the VMI
			reports them; unplug hot-unplugs an interface; check runs the admission rules
			offline on manifests.`),
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl linkstate"},
		SilenceErrors: true,
		SilenceUsage:  true,
		// Runnable, so an unknown command is a usage error (exit 2) rather than cobra's
		// untyped one.
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
			if c.SuggestionsMinimumDistance <= 0 {
				c.SuggestionsMinimumDistance = 2 // cobra's default, set only when it suggests itself
			}
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf("\n\nDid you mean this?\n\t%s", strings.Join(s, "\n\t"))
			}
			return usageErrorf(c, "%s", msg)
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	e.flags.AddFlags(root.PersistentFlags())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageErrorf(c, "%v", err) })
	registerConnectionCompletion(root, e)
	root.AddCommand(newGetCommand(e), newSetCommand(e), newUnplugCommand(e), newCheckCommand(e), newVersionCommand(e))
	return root
}

// usageErrorf is kubectl's usage error (cmdutil.UsageErrorf) with exit status 2.
func usageErrorf(c *cobra.Command, format string, args ...any) error {
	return usageError{fmt.Errorf("%s\nSee '%s -h' for help and examples", fmt.Sprintf(format, args...), c.CommandPath())}
}

// client connects with the kubectl flags. API warnings (the webhook's among them) are
// printed as kubectl prints them, "Warning: …" on stderr; the spelling probe's dry runs go
// through a second client that keeps them quiet.
func (e *env) client() (*ownertool.Client, string, error) {
	cfg, err := e.flags.ToRESTConfig()
	if err != nil {
		return nil, "", err
	}
	ns, _, err := e.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", err
	}
	loud := rest.CopyConfig(cfg)
	loud.WarningHandler = rest.NewWarningWriter(e.streams.ErrOut, rest.WarningWriterOptions{
		Deduplicate: true,
		Color:       kubectlterm.AllowsColorOutput(e.streams.ErrOut),
	})
	quiet := rest.CopyConfig(cfg)
	quiet.WarningHandler = rest.NoWarnings{}
	d, err := dynamic.NewForConfig(loud)
	if err != nil {
		return nil, "", err
	}
	q, err := dynamic.NewForConfig(quiet)
	if err != nil {
		return nil, "", err
	}
	return &ownertool.Client{Dynamic: d, Quiet: q}, ns, nil
}

// contextWithSignals is cancelled by Ctrl-C or SIGTERM.
func contextWithSignals() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// dialectFlag is --dialect on get, set and unplug: empty lets the tool choose.
type dialectFlag struct{ value linkstate.Dialect }

var _ pflag.Value = (*dialectFlag)(nil)

func (f *dialectFlag) String() string { return string(f.value) }
func (f *dialectFlag) Type() string   { return "seed|upstream" }
func (f *dialectFlag) Set(s string) error {
	d, err := linkstate.ParseDialect(s)
	if err == nil && !d.SupportsLinkState() {
		err = fmt.Errorf("dialect %s has no spelling of up and down: use %s or %s", d, linkstate.Seed, linkstate.Upstream)
	}
	f.value = d
	return err
}

func addDialectFlag(c *cobra.Command, f *dialectFlag, usage string) {
	c.Flags().Var(f, "dialect", usage)
	_ = c.RegisterFlagCompletionFunc("dialect", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names := make([]string, len(linkstate.Spellings))
		for i, d := range linkstate.Spellings {
			names[i] = string(d)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
}

// objectArgs parses `vm NAME` / `vm/NAME` into a target and name, as a usage error.
func objectArgs(c *cobra.Command, args []string, nameOptional bool) (ownertool.Target, string, []string, error) {
	t, name, rest, err := ownertool.ParseObjectArgs(args, nameOptional)
	if err != nil {
		return t, name, rest, usageErrorf(c, "%v", err)
	}
	return t, name, rest, nil
}

func newVersionCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(e.streams.Out, strings.TrimSpace(version()))
			return err
		},
	}
}
