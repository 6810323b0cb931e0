package main

import (
	"github.com/spf13/cobra"
)

func newCheckCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:                "check -f PATH [-f PATH ...] [flags]",
		Short:              "Run the webhook's rules offline on manifests (same flags and exit codes as `webhook check`)",
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			return usageErrorf(c, "not yet")
		},
	}
}
