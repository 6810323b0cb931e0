// Command demo runs linkstate-webhook for real on this machine and shows what it does: it
// starts etcd and kube-apiserver (envtest), installs KubeVirt's CRDs, runs the webhook
// binary over TLS, registers the webhook configurations shipped in config/webhook, then
// plays the manifests in examples/ and checks each outcome against what it should be.
// Afterwards it keeps the API server running for kubectl until Ctrl-C.
//
//	make demo                  # or: go run ./hack/demo
//	make demo DEMO_ARGS=--once # exit after the examples: 0 only if all behaved as expected
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// demoNamespace holds the demo's own objects, so that a user's `kubectl apply` of an
// example into the default namespace does not collide with them.
const demoNamespace = "linkstate-demo"

func main() {
	os.Exit(run())
}

func run() (code int) {
	once := flag.Bool("once", false, "exit after the scripted examples: status 0 only if every example behaved as expected")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "Usage: go run ./hack/demo [--once]   (or: make demo [DEMO_ARGS=--once])")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		return 2
	}

	// A signal starts an orderly shutdown. Later ones are swallowed until the demo exits:
	// dying halfway would leave kube-apiserver and etcd running (envtest starts them in
	// process groups of their own, out of the terminal's reach), and stopping is bounded
	// by the harness's and envtest's own timeouts.
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	p := newPrinter(os.Stdout)
	p.banner()

	// `make demo` sets KUBEBUILDER_ASSETS; `go run ./hack/demo` finds or builds them here.
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		start := p.section("Finding kube-apiserver and etcd (the first run builds them from Go modules: several minutes on 2 cores)...")
		p.printf("\n")
		assets, err := envtestAssets(ctx)
		if err != nil {
			p.failed(start, err)
			return 1
		}
		os.Setenv("KUBEBUILDER_ASSETS", assets)
		p.field("binaries", displayPath(assets)+p.dim(" ("+seconds(time.Since(start))+")"))
	}

	logPath, logFile, err := openWebhookLog()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	defer logFile.Close()

	start := p.section("Starting etcd and kube-apiserver, building and starting the webhook...")
	env, err := harness.Start(ctx, harness.Options{WebhookLog: logFile})
	// Whatever happened, what was started is stopped on the way out.
	defer func() {
		if env == nil {
			return
		}
		stopStart := p.section("Stopping the webhook, kube-apiserver and etcd...")
		if err := shutdown(env); err != nil {
			p.failed(stopStart, err)
			code = 1
			return
		}
		p.done(stopStart)
	}()
	if err != nil {
		if ctx.Err() != nil {
			p.printf("interrupted\n")
			return interruptedCode(*once)
		}
		p.failed(start, err)
		p.field("webhook log", displayPath(logPath))
		return 1
	}
	p.done(start)
	p.field("webhook log", displayPath(logPath))
	p.field("kubeconfig", env.Kubeconfig)
	p.field("namespace", demoNamespace)

	played := time.Now()
	results, err := runExamples(ctx, env.Config, env.Kubeconfig, demoNamespace, p)
	if ctx.Err() != nil {
		p.printf("\ninterrupted\n")
		return interruptedCode(*once)
	}
	if err != nil {
		p.printf("\n%s %v\n", p.red("✗"), err)
	}
	allOK := p.summary(results, time.Since(played)) && err == nil
	if *once {
		if allOK {
			return 0
		}
		p.field("webhook log", displayPath(logPath))
		return 1
	}

	p.instructions(env.Kubeconfig)
	<-ctx.Done()
	p.printf("\n")
	return 0
}

// interruptedCode is the exit status after Ctrl-C: the interactive demo was meant to run
// until stopped, but --once did not get to check every example.
func interruptedCode(once bool) int {
	if once {
		return 1
	}
	return 0
}

// envtestAssets runs hack/envtest-assets.sh, which builds kube-apiserver and etcd on first
// use (its progress goes to stderr) and prints their directory as its last line.
func envtestAssets(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(harness.Root(), "hack", "envtest-assets.sh"))
	cmd.Dir = harness.Root()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("hack/envtest-assets.sh: %w", err)
	}
	lines := strings.Fields(out.String())
	if len(lines) == 0 {
		return "", errors.New("hack/envtest-assets.sh printed no asset directory")
	}
	return lines[len(lines)-1], nil
}

// openWebhookLog truncates .demo/webhook.log (git-ignored): the webhook's own output goes
// there rather than between the demo's lines, and stays for reading after the demo ends.
func openWebhookLog() (string, *os.File, error) {
	dir := filepath.Join(harness.Root(), ".demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, "webhook.log")
	f, err := os.Create(path)
	return path, f, err
}

// shutdown stops the webhook, kube-apiserver and etcd and removes their temporary
// directories. Each runs in a process group of its own, so a terminal's Ctrl-C reaches only
// the demo, which stops them here, once and in order.
func shutdown(env *harness.Env) error {
	return env.Stop()
}
