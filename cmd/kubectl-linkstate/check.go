package main

import (
	"github.com/spf13/cobra"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/check"
)

// newCheckCommand is `webhook check` under the plugin: its arguments go to check.Main
// untouched (no flag parsing here), so the flags, output and exit statuses are the same.
func newCheckCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "check -f PATH [-f PATH ...] [--dialect seed|upstream] [-o text|json] [rule flags]",
		Short: "Run the webhook's rules offline on manifests (exit 0 allowed, 1 denied, 2 bad input)",
		Long: "Runs the webhook's own mutation, then validation (create semantics), on VirtualMachine, " +
			"VirtualMachineInstance and VirtualMachineInstanceMigration manifests, without a cluster. " +
			"Same flags, output and exit statuses as `webhook check`; run `kubectl linkstate check -h` for the flags.",
		DisableFlagParsing: true,
		ValidArgsFunction:  cobra.FixedCompletions(nil, cobra.ShellCompDirectiveDefault),
		RunE: func(_ *cobra.Command, args []string) error {
			if code := check.Main("kubectl linkstate check", args, e.streams.In, e.streams.Out, e.streams.ErrOut); code != 0 {
				return exitStatus(code)
			}
			return nil
		},
	}
}
