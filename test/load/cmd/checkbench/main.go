// Command checkbench measures `webhook check` against Gatekeeper's gator on the same
// manifests: generated VMs and VMIs with 1–8 interfaces (internal/workload), in one YAML
// stream of each size asked, judged by `webhook check -o json` and by `gator test` with
// the same four rules in Rego (test/load/gator). The tools run in turn, several times, and
// the report gives the median CPU time (user + system) and peak RSS of each, and gator's
// CPU over check's. The two tools must deny the same manifests, or the comparison is void
// and checkbench fails.
//
//	checkbench -webhook bin/webhook -rusage bin/rusage -gator $(hack/tools.sh gator) -sizes 1000,10000 -runs 5
//
// -also adds other builds of the webhook to the rotation (an older one, to compare).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

func main() {
	webhook := flag.String("webhook", "bin/webhook", "the webhook binary")
	also := flag.String("also", "", "comma-separated NAME=PATH of other webhook builds to measure too, e.g. before=/tmp/webhook-old")
	gator := flag.String("gator", "", "the gator binary (hack/tools.sh gator)")
	sizes := flag.String("sizes", "1000,10000", "comma-separated numbers of manifests")
	runs := flag.Int("runs", 5, "runs of each tool per size, in turn; the report gives medians")
	flag.StringVar(&rusagePath, "rusage", "bin/rusage", "the rusage binary (test/load/cmd/rusage), which starts each tool and reports its usage")
	flag.Parse()
	if err := run(*webhook, *also, *gator, *sizes, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "checkbench:", err)
		os.Exit(1)
	}
}

// rusagePath is test/load/cmd/rusage's binary.
var rusagePath string

// tool is one command line under measurement; the manifest file is appended.
type tool struct {
	name string
	args []string
	// denied reads the names (namespace/name) of the manifests the tool's output denies.
	denied func(stdout []byte) (map[string]bool, error)
}

// usage is what one run cost.
type usage struct {
	cpu time.Duration
	rss int64 // bytes
}

func run(webhook, also, gator, sizeList string, runs int) error {
	if gator == "" {
		return errors.New("-gator is required (hack/tools.sh gator builds it)")
	}
	template := filepath.Join(harness.Root(), "test", "load", "gator", "template.yaml")
	tools := []tool{{name: "check", args: []string{webhook, "check", "-o", "json", "-f"}, denied: checkDenied}}
	if also != "" {
		for _, nameAndPath := range strings.Split(also, ",") {
			name, path, ok := strings.Cut(nameAndPath, "=")
			if !ok {
				return fmt.Errorf("-also: %q is not NAME=PATH", nameAndPath)
			}
			tools = append(tools, tool{name: "check " + name, args: []string{path, "check", "-o", "json", "-f"}, denied: checkDenied})
		}
	}
	tools = append(tools, tool{name: "gator", args: []string{gator, "test", "-o", "json", "-f", template, "-f"}, denied: gatorDenied})

	printMachine()
	dir, err := os.MkdirTemp("", "checkbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("-sizes: %q is not a number of manifests", s)
		}
		input := filepath.Join(dir, fmt.Sprintf("manifests-%d.yaml", n))
		data := workload.ManifestsYAML(n)
		if err := os.WriteFile(input, data, 0o644); err != nil {
			return err
		}
		fmt.Printf("\n%d manifests (%.1f MiB of YAML, %d runs of each tool in turn)\n", n, float64(len(data))/(1<<20), runs)
		if err := agree(tools, input); err != nil {
			return err
		}
		results := make([][]usage, len(tools))
		for r := range runs {
			for i, t := range tools {
				u, _, err := measure(t, input)
				if err != nil {
					return err
				}
				results[i] = append(results[i], u)
				fmt.Printf("  run %d %-14s CPU %7.2f s  RSS %6.1f MiB\n", r+1, t.name, u.cpu.Seconds(), float64(u.rss)/(1<<20))
			}
		}
		fmt.Printf("  %-20s %12s %14s %12s\n", "median", "CPU", "CPU/manifest", "peak RSS")
		medians := make([]usage, len(tools))
		for i, t := range tools {
			medians[i] = median(results[i])
			fmt.Printf("  %-20s %10.2f s %11.0f µs %8.1f MiB\n", t.name, medians[i].cpu.Seconds(),
				float64(medians[i].cpu.Microseconds())/float64(n), float64(medians[i].rss)/(1<<20))
		}
		g := medians[len(medians)-1]
		for i, t := range tools[:len(tools)-1] {
			fmt.Printf("  gator / %-12s CPU %.1f×, RSS %.1f×\n", t.name, g.cpu.Seconds()/medians[i].cpu.Seconds(), float64(g.rss)/float64(medians[i].rss))
		}
	}
	return nil
}

// agree runs every tool once and requires them to deny the same manifests (and some).
func agree(tools []tool, input string) error {
	var first map[string]bool
	for i, t := range tools {
		_, stdout, err := measure(t, input)
		if err != nil {
			return err
		}
		denied, err := t.denied(stdout)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		if i == 0 {
			if len(denied) == 0 {
				return errors.New("check denied nothing: the manifests break no rule, the comparison would be void")
			}
			first = denied
			fmt.Printf("  %d manifests denied by every tool\n", len(denied))
			continue
		}
		for name := range first {
			if !denied[name] {
				return fmt.Errorf("check denies %s, %s does not", name, t.name)
			}
		}
		for name := range denied {
			if !first[name] {
				return fmt.Errorf("%s denies %s, check does not", t.name, name)
			}
		}
	}
	return nil
}

// measure runs t on input and reads its CPU time and peak RSS from the kernel. Exit status
// 1 is what both tools answer when something is denied.
//
// The tool is started by test/load/cmd/rusage, not by this process: Linux counts in a
// process's peak RSS the peak of the memory it replaced at exec, and a tool started from
// here would be charged with this process's own peak (the manifests, the tools' output:
// hundreds of MiB). From rusage it is charged with rusage's, under 3 MiB.
func measure(t tool, input string) (usage, []byte, error) {
	out, err := os.CreateTemp("", "checkbench-stdout-")
	if err != nil {
		return usage{}, nil, err
	}
	defer os.Remove(out.Name())
	out.Close()
	args := append([]string{out.Name()}, t.args...)
	cmd := exec.Command(rusagePath, append(args, input)...)
	var report, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &report, &stderr
	if err := cmd.Run(); err != nil {
		return usage{}, nil, fmt.Errorf("%s: %v\n%s", t.name, err, stderr.String())
	}
	var u struct {
		Exit     int   `json:"exit"`
		CPUNanos int64 `json:"cpuNanos"`
		MaxRSS   int64 `json:"maxRSS"`
	}
	if err := json.Unmarshal(report.Bytes(), &u); err != nil {
		return usage{}, nil, fmt.Errorf("%s: reading the child's report %q: %v", t.name, report.String(), err)
	}
	if u.Exit != 0 && u.Exit != 1 {
		return usage{}, nil, fmt.Errorf("%s: exit status %d\n%s", t.name, u.Exit, stderr.String())
	}
	stdout, err := os.ReadFile(out.Name())
	if err != nil {
		return usage{}, nil, err
	}
	return usage{cpu: time.Duration(u.CPUNanos), rss: u.MaxRSS}, stdout, nil
}

func checkDenied(stdout []byte) (map[string]bool, error) {
	var results []struct {
		Namespace, Name string
		Allowed         bool
	}
	if err := json.Unmarshal(stdout, &results); err != nil {
		return nil, fmt.Errorf("reading check's output: %w", err)
	}
	denied := map[string]bool{}
	for _, r := range results {
		if !r.Allowed {
			denied[r.Namespace+"/"+r.Name] = true
		}
	}
	return denied, nil
}

// gatorDenied reads `gator test -o json`: a list of violations, each naming its object.
func gatorDenied(stdout []byte) (map[string]bool, error) {
	var violations []struct {
		ViolatingObject struct {
			Metadata struct{ Namespace, Name string } `json:"metadata"`
		} `json:"violatingObject"`
	}
	if err := json.Unmarshal(stdout, &violations); err != nil {
		return nil, fmt.Errorf("reading gator's output: %w: %.300s", err, stdout)
	}
	denied := map[string]bool{}
	for _, v := range violations {
		m := v.ViolatingObject.Metadata
		denied[m.Namespace+"/"+m.Name] = true
	}
	return denied, nil
}

func median(us []usage) usage {
	cpus := make([]time.Duration, len(us))
	rss := make([]int64, len(us))
	for i, u := range us {
		cpus[i], rss[i] = u.cpu, u.rss
	}
	slices.Sort(cpus)
	slices.Sort(rss)
	return usage{cpu: cpus[len(cpus)/2], rss: rss[len(rss)/2]}
}

func printMachine() {
	model := "unknown"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				model = strings.TrimSpace(value)
				break
			}
		}
	}
	load := "?"
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Fields(string(data))[0]
	}
	fmt.Printf("machine: %d CPUs (%s), %s, load average %s\n", runtime.NumCPU(), model, runtime.Version(), load)
}
