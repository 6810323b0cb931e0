// Package cli holds what the commands share about their command lines.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Parse parses args as the commands do. -h (--help) prints usage, then fs's flags, on
// stdout and is done with status 0; a bad flag (which the flag package has reported on
// fs's output) is done with status 2 and a pointer to -h. Otherwise the caller goes on.
func Parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer, usage string) (code int, done bool) {
	fs.Usage = func() {} // printed below, where it belongs
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0, true
	case err != nil:
		fmt.Fprintf(stderr, "Run '%s -h' for usage.\n", fs.Name())
		return 2, true
	}
	return 0, false
}
