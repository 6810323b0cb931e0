// Command rusage runs a command with its stdout to a file and prints, as JSON on its own
// stdout, the command's exit status, CPU time (user + system) and peak RSS as the kernel
// counts them. checkbench starts the tools it measures through it: Linux charges a process
// with the peak RSS of the memory it replaced at exec, so a tool started by a large process
// would be charged with that process's peak; started from this one, a few MiB (it imports
// nothing but the standard library, to stay that small).
//
//	rusage STDOUT-FILE COMMAND [ARG...]
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Usage is what rusage prints.
type Usage struct {
	Exit     int   `json:"exit"`
	CPUNanos int64 `json:"cpuNanos"`
	MaxRSS   int64 `json:"maxRSS"` // bytes
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: rusage STDOUT-FILE COMMAND [ARG...]")
		os.Exit(2)
	}
	out, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer out.Close()
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	var exit *exec.ExitError
	if err := cmd.Run(); err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	_ = json.NewEncoder(os.Stdout).Encode(Usage{Exit: cmd.ProcessState.ExitCode(),
		CPUNanos: ru.Utime.Nano() + ru.Stime.Nano(), MaxRSS: ru.Maxrss << 10})
}
