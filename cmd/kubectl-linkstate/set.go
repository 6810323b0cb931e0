package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

// changeOptions are the flags set and unplug share.
type changeOptions struct {
	dialect dialectFlag
	dryRun  string
	wait    bool
	timeout time.Duration
}

func (o *changeOptions) bind(c *cobra.Command) {
	addDialectFlag(c, &o.dialect, "Spelling to write: seed (linkUp/linkDown) or upstream (up/down). "+
		"Default: the one the VM already uses, else the one the cluster accepts (asked with a server-side dry run).")
	c.Flags().StringVar(&o.dryRun, "dry-run", "none", `Must be "none" or "server". With "server", the API server and `+
		`the webhook judge and mutate the change and nothing is stored.`)
	c.Flags().Lookup("dry-run").NoOptDefVal = "server"
	c.Flags().BoolVar(&o.wait, "wait", true, "On a running VM, wait until its VMI reports the new state (--wait=false: do not).")
	c.Flags().DurationVar(&o.timeout, "timeout", 30*time.Second, "How long --wait waits.")
	_ = c.RegisterFlagCompletionFunc("dry-run", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"none", "server"}, cobra.ShellCompDirectiveNoFileComp
	})
}

func (o *changeOptions) validate() error {
	switch o.dryRun {
	case "none", "server":
	case "client":
		return usageError{errors.New(`--dry-run=client is not supported: the webhook's verdict needs the server; use --dry-run=server`)}
	default:
		return usageError{fmt.Errorf(`invalid dry-run value (%s): must be "none" or "server"`, o.dryRun)}
	}
	if o.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout must be positive, not %s", o.timeout)}
	}
	return nil
}

func newSetCommand(e *env) *cobra.Command {
	o := &changeOptions{}
	c := &cobra.Command{
		Use:   "set (vm|vmi) NAME IFACE=STATE [IFACE=STATE ...]",
		Short: "Bring interface links up or down",
		Long: templates.LongDesc(`
			Set the link state of interfaces by name: STATE is up or down (linkUp and linkDown
			are accepted too; the tool writes the spelling the cluster uses).

			All interfaces change in one JSON patch that checks each interface's name at its
			position first, so an interface list reordered meanwhile makes the patch fail
			instead of changing the wrong NIC. The webhook's warnings are printed; a denial
			changes nothing. On a running VM, the command then waits until the VMI reports
			the new states.`),
		Example: templates.Examples(`
			# Take eth1's link down and wait until the guest has it
			kubectl linkstate set vm web eth1=down

			# Two interfaces at once, without waiting
			kubectl linkstate set vm web eth1=up eth2=down --wait=false

			# What would the webhook say?
			kubectl linkstate set vm web default=down --dry-run=server`),
		ValidArgsFunction: completeObjects(e, true),
		RunE: func(c *cobra.Command, args []string) error {
			t, name, rest, err := objectArgs(c, args, false)
			if err != nil {
				return err
			}
			assigns, err := ownertool.ParseAssignments(rest, false)
			if err != nil {
				return usageErrorf(c, "%v", err)
			}
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(e, ownertool.SetRequest{Target: t, Name: name, Assignments: assigns})
		},
	}
	o.bind(c)
	return c
}

// run sends the change, prints what the server stored, and waits when asked to.
func (o *changeOptions) run(e *env, req ownertool.SetRequest) error {
	client, ns, err := e.client()
	if err != nil {
		return err
	}
	req.Namespace, req.Dialect, req.DryRun = ns, o.dialect.value, o.dryRun == "server"
	ctx, cancel := contextWithSignals()
	defer cancel()
	res, err := client.Set(ctx, req)
	if err != nil {
		return err
	}
	ref := req.Target.Qualified(req.Name)
	switch {
	case req.DryRun:
		fmt.Fprintf(e.streams.Out, "%s patched (server dry run): %s\n", ref, ownertool.DescribeChanges(res.Changes))
		return nil
	case res.Unchanged:
		fmt.Fprintf(e.streams.Out, "%s patched (no change)\n", ref)
	default:
		fmt.Fprintf(e.streams.Out, "%s patched: %s\n", ref, ownertool.DescribeChanges(res.Changes))
	}
	if !o.wait {
		return nil
	}
	if !res.After.Running && req.Target.GroupKind == ownertool.VM.GroupKind {
		fmt.Fprintf(e.streams.Out, "%s is not running: the change reaches the guest when it starts\n", req.Target.Ref(req.Name))
		return nil
	}
	return o.waitFor(ctx, e, client, req, res)
}

func (o *changeOptions) waitFor(ctx context.Context, e *env, client *ownertool.Client, req ownertool.SetRequest, res *ownertool.SetResult) error {
	ref := ownertool.VMI.Ref(req.Name)
	progress := newProgress(e.streams.ErrOut, func(pending []ownertool.Pending, elapsed time.Duration) string {
		return ownertool.ProgressLine(ref, res.Changes, pending, res.Dialect, elapsed, o.timeout)
	})
	defer progress.stop()
	err := client.Wait(ctx, ownertool.WaitRequest{
		Namespace: req.Namespace,
		VMI:       req.Name,
		Changes:   res.Changes,
		Dialect:   res.Dialect,
		Timeout:   o.timeout,
		Observe:   func(_ *ownertool.Object, pending []ownertool.Pending) { progress.update(pending) },
	})
	progress.stop()
	if errors.Is(err, ownertool.ErrVMIDeleted) {
		fmt.Fprintf(e.streams.Out, "%s was deleted while waiting: the change reaches the guest when the VM starts again\n", ref)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.streams.Out, progress.final())
	return nil
}
