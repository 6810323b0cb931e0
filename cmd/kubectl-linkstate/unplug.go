package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

func newUnplugCommand(e *env) *cobra.Command {
	o := &changeOptions{}
	var yes bool
	c := &cobra.Command{
		Use:   "unplug (vm|vmi) NAME IFACE [IFACE ...]",
		Short: "Hot-unplug interfaces (state absent)",
		Long: templates.LongDesc(`
			Set interfaces to absent: KubeVirt unplugs them from the running guest. This is
			final while the VM runs: an unplugged interface cannot be plugged back under the
			same name until the VM restarts (add it under a new name instead). So on a
			running VM the command asks first; --yes skips the question.

			Only bridge interfaces with the virtio model, on a secondary network, can be
			unplugged; the webhook denies the rest and nothing is changed.`),
		Example: templates.Examples(`
			# Unplug eth1 from a running VM, after confirming
			kubectl linkstate unplug vm web eth1

			# In a script
			kubectl linkstate unplug vm web eth1 --yes`),
		ValidArgsFunction: completeObjects(e, true),
		RunE: func(c *cobra.Command, args []string) error {
			t, name, ifaces, err := objectArgs(c, args, false)
			if err != nil {
				return err
			}
			if len(ifaces) == 0 {
				return usageErrorf(c, "name at least one interface to unplug")
			}
			var assignments []string
			for _, i := range ifaces {
				if strings.Contains(i, "=") {
					return usageErrorf(c, "%q: unplug takes interface names; to set a state, use kubectl linkstate set", i)
				}
				assignments = append(assignments, i+"="+string(linkstate.Absent))
			}
			assigns, err := ownertool.ParseAssignments(assignments, true)
			if err != nil {
				return usageErrorf(c, "%v", err)
			}
			if err := o.validate(); err != nil {
				return err
			}
			req := ownertool.SetRequest{Target: t, Name: name, Assignments: assigns}
			if !yes && o.dryRun == "none" {
				req.Confirm = func(obj *ownertool.Object) error { return confirmUnplug(e, obj, ifaces) }
			}
			return o.run(e, req)
		},
	}
	o.bind(c)
	c.Flags().BoolVarP(&yes, "yes", "y", false, "Do not ask for confirmation.")
	return c
}

// errAborted: the user did not confirm.
var errAborted = errors.New("aborted: nothing was changed (pass --yes to unplug without being asked)")

// confirmUnplug says what unplugging a running VM's interface means and reads the answer
// from stdin. A VM that is not running is not asked: there, absent only means the interface
// is left out at the next start, and can still be changed back.
func confirmUnplug(e *env, obj *ownertool.Object, ifaces []string) error {
	if !obj.Running && obj.Target.GroupKind == ownertool.VM.GroupKind {
		return nil
	}
	what := fmt.Sprintf("interface %q", ifaces[0])
	if len(ifaces) > 1 {
		what = fmt.Sprintf("interfaces %q", ifaces)
	}
	fmt.Fprintf(e.streams.ErrOut, "Unplugging %s from running %s is final while it runs: it cannot be plugged back "+
		"under the same name until the VM restarts (add it under a new name instead).\nUnplug? [y/N]: ",
		what, obj.Target.Ref(obj.Name))
	answer, err := bufio.NewReader(e.streams.In).ReadString('\n')
	if err != nil && answer == "" {
		fmt.Fprintln(e.streams.ErrOut)
		return errAborted
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return errAborted
}
