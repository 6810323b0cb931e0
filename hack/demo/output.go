package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// printer writes the demo's story for a person at a terminal: short lines, the kubectl
// command each request is equivalent to, and what the API server answered and stored.
// Colour only on a terminal (and never with NO_COLOR set), so logs and tests get plain text.
type printer struct {
	w     io.Writer
	color bool
	// in indents a request's lines: deeper under the numbered steps of a story.
	in string
}

func newPrinter(w io.Writer) *printer {
	p := &printer{w: w, in: "  "}
	if f, ok := w.(*os.File); ok && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			p.color = true
		}
	}
	return p
}

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p *printer) bold(s string) string   { return p.paint("1", s) }
func (p *printer) dim(s string) string    { return p.paint("2", s) }
func (p *printer) red(s string) string    { return p.paint("31", s) }
func (p *printer) green(s string) string  { return p.paint("32", s) }
func (p *printer) yellow(s string) string { return p.paint("33", s) }
func (p *printer) cyan(s string) string   { return p.paint("36", s) }

func (p *printer) printf(format string, args ...any) { fmt.Fprintf(p.w, format, args...) }

// banner says what the demo is about to do, before anything slow happens.
func (p *printer) banner() {
	p.printf("%s\n", p.bold("linkstate-webhook demo"))
	p.printf("Starts etcd and kube-apiserver on this machine, installs KubeVirt's CRDs, runs the webhook\n")
	p.printf("binary over TLS with a fresh self-signed certificate and registers it with the webhook\n")
	p.printf("configurations in config/webhook. Then it sends the manifests in examples/ and shows what\n")
	p.printf("the API server answered and stored, checking each against what it should do.\n\n")
}

// section starts a phase that takes a while; done closes it with the time it took.
func (p *printer) section(what string) time.Time {
	p.printf("%s %s ", p.cyan("▸"), what)
	return time.Now()
}

func (p *printer) done(start time.Time) {
	p.printf("done in %s\n", seconds(time.Since(start)))
}

func (p *printer) failed(start time.Time, err error) {
	p.printf("%s after %s\n%s\n", p.red("failed"), seconds(time.Since(start)), err)
}

// field prints an aligned "name  value" line under a section.
func (p *printer) field(name, value string) {
	p.printf("  %-12s %s\n", name, value)
}

func (p *printer) scenarioHeader(seq, file, kind, name string, about []string) {
	title := file
	if kind != "" {
		title += " · " + kind + " " + name
	}
	p.printf("\n%s %s\n", p.dim("["+seq+"]"), p.bold(title))
	for _, line := range about {
		p.printf("  %s\n", p.dim(line))
	}
}

func (p *printer) stepTitle(n int, title string) {
	p.printf("  %s\n", p.bold(fmt.Sprintf("%d. %s", n, title)))
}

// nested indents what follows under a story's numbered steps until the returned func runs.
func (p *printer) nested() func() {
	p.in = "     "
	return func() { p.in = "  " }
}

// request shows one request as kubectl prints it — the command, the warnings, then the
// success line or kubectl's line for an API error, "Error from server (Reason): " and the
// error string — and then what the API server holds afterwards.
func (p *printer) request(cmd, kind, name string, patched bool, got observed) {
	p.printf("%s%s\n", p.in, p.cyan("$ "+cmd))
	for _, w := range got.warnings {
		p.printf("%s%s %s\n", p.in, p.yellow("Warning:"), w)
	}
	var status apierrors.APIStatus
	switch {
	case errors.As(got.err, &status):
		p.printf("%s%s %s\n", p.in, p.red(fmt.Sprintf("Error from server (%s):", status.Status().Reason)), got.err)
	case got.err != nil:
		p.printf("%s%s %s\n", p.in, p.red("error:"), got.err)
	case patched:
		p.printf("%s%s.kubevirt.io/%s patched\n", p.in, strings.ToLower(kind), name)
	default:
		p.printf("%s%s.kubevirt.io/%s created\n", p.in, strings.ToLower(kind), name)
	}
	switch {
	case got.readErr != nil:
		// compare reports it as a problem.
	case got.stored == nil:
		p.printf("%s%s\n", p.in, p.dim("stored:   nothing"))
	default:
		p.printf("%s%s %s\n", p.in, p.dim("stored:  "), describe(interfaceStates(got.stored)))
		if ls := linkStates(got.stored); len(ls) > 0 {
			p.printf("%s%s %s\n", p.in, p.dim("reported:"), describe(ls))
		}
	}
}

// verdict closes a step: ✓, or ✗ and every difference from the expectation.
func (p *printer) verdict(problems []string) {
	if len(problems) == 0 {
		p.printf("%s%s\n", p.in, p.green("✓ as expected"))
		return
	}
	p.printf("%s%s\n", p.in, p.red("✗ not as expected:"))
	for _, problem := range problems {
		p.printf("%s  - %s\n", p.in, problem)
	}
}

// summary closes the scripted part; it reports whether every example behaved.
func (p *printer) summary(results []scenarioResult, elapsed time.Duration) bool {
	var failed []scenarioResult
	for _, r := range results {
		if !r.ok() {
			failed = append(failed, r)
		}
	}
	p.printf("\n")
	if len(failed) == 0 && len(results) == len(scenarios) {
		p.printf("%s\n", p.green(fmt.Sprintf("✓ all %d examples behaved as expected", len(results)))+
			p.dim(fmt.Sprintf(" (%s)", seconds(elapsed))))
		return true
	}
	p.printf("%s\n", p.red(fmt.Sprintf("✗ %d of %d examples did not behave as expected", len(failed)+len(scenarios)-len(results), len(scenarios)))+
		p.dim(fmt.Sprintf(" (%s)", seconds(elapsed))))
	for _, r := range failed {
		p.printf("  %s %s\n", p.red("✗"), r.file)
	}
	if len(results) < len(scenarios) {
		p.printf("  %d not played\n", len(scenarios)-len(results))
	}
	return false
}

// seconds rounds a duration for people: 7.3s, 420ms.
func seconds(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// instructions tell the user how to reach the API server the demo keeps running.
func (p *printer) instructions(kubeconfig string) {
	k := kubectl() + " --kubeconfig " + kubeconfig
	example := displayPath(filepath.Join(examplesDir(), "vm-linkdown.yaml"))
	p.printf("\n%s\n", p.bold("The API server keeps running, with the webhook registered. Try your own VMs:"))
	p.printf("  %s\n", p.cyan(k+" apply -f "+example))
	p.printf("  %s\n", p.cyan(k+" get vm -o yaml"))
	p.printf("  %s\n", p.cyan(k+" -n "+demoNamespace+" get vm,vmi")+p.dim("   # what the demo created"))
	p.printf("%s\n", p.dim("Press Ctrl-C to stop everything and clean up."))
}

// kubectl is how the user can run kubectl: from PATH, or the one envtest-assets.sh built.
func kubectl() string {
	if _, err := exec.LookPath("kubectl"); err == nil {
		return "kubectl"
	}
	if assets := os.Getenv("KUBEBUILDER_ASSETS"); assets != "" {
		if path := filepath.Join(assets, "kubectl"); isExecutable(path) {
			return path
		}
	}
	return "kubectl"
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}
