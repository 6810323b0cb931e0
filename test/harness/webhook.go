package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// WebhookOptions say how to run the webhook binary.
type WebhookOptions struct {
	// Binary is the built `webhook` (see Build); Kubeconfig points it at an API server
	// (its manager needs one, e.g. envtest's).
	Binary, Kubeconfig string
	// CertDir holds tls.crt and tls.key.
	CertDir string
	// Port is the TLS port to serve on; zero picks a free one.
	Port int
	// Args are extra flags for `webhook serve`.
	Args []string
	// Env is added to the binary's environment (for example GOMAXPROCS=1).
	Env []string
	// CPUs, if set, pins the binary to these CPUs with taskset (for example "0"), so a load
	// generator pinned to the others does not compete with it.
	CPUs string
	// Log receives the binary's output; nil discards it.
	Log io.Writer
	// ReadyWithin bounds the wait for /readyz; zero means 60s.
	ReadyWithin time.Duration
	// NoWait returns as soon as the process runs, for tests of what happens before it is
	// ready (Checks tells which readiness checks pass).
	NoWait bool
}

// Webhook is a running webhook binary.
type Webhook struct {
	// Addr is the loopback TLS address of the webhooks (Port its port); ProbeAddr that of
	// /healthz and /readyz.
	Addr, ProbeAddr string
	Port            int
	cmd             *exec.Cmd
	exited          chan struct{}
	exitErr         error
}

// StartWebhook starts the binary (`webhook serve`, metrics off, the health probes on a
// free loopback port) and waits until /readyz answers. If it does not, the process is
// killed and the error says why.
func StartWebhook(ctx context.Context, opts WebhookOptions) (*Webhook, error) {
	port := opts.Port
	if port == 0 {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		port = addr.Port
	}
	probeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve",
		"--cert-dir", opts.CertDir,
		"--port", strconv.Itoa(port),
		"--health-probe-bind-address", probeAddr.String(),
		"--metrics-bind-address", "0",
		"--kubeconfig", opts.Kubeconfig,
		// Where the chart runs it: the dialect probe's VM goes to the service's own
		// namespace, which its webhooks skip (Start creates it).
		"--dialect-probe-namespace", ServiceNamespace,
	}, opts.Args...)
	name := opts.Binary
	if opts.CPUs != "" {
		args = append([]string{"-c", opts.CPUs, opts.Binary}, args...)
		name = "taskset"
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), opts.Env...)
	out := opts.Log
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, like envtest's etcd and kube-apiserver: a terminal's Ctrl-C
	// reaches only the test, demo or load generator, which then stops the webhook once, in
	// order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the webhook: %w", err)
	}
	w := &Webhook{
		Addr:      net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		ProbeAddr: probeAddr.String(),
		Port:      port,
		cmd:       cmd,
		exited:    make(chan struct{}),
	}
	go func() { w.exitErr = cmd.Wait(); close(w.exited) }()
	if opts.NoWait {
		return w, nil
	}
	limit := opts.ReadyWithin
	if limit == 0 {
		limit = 60 * time.Second
	}
	if err := w.waitReady(ctx, limit); err != nil {
		_ = w.Kill()
		return nil, err
	}
	return w, nil
}

func (w *Webhook) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if w.Ready() == nil {
			return nil
		}
		select {
		case <-w.exited:
			return fmt.Errorf("the webhook exited before it was ready: %v", w.exitErr)
		case <-ctx.Done():
			return fmt.Errorf("the webhook was not ready within %v: %w", limit, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

var probeClient = &http.Client{Timeout: 5 * time.Second}

// Ready asks /readyz once.
func (w *Webhook) Ready() error {
	resp, err := probeClient.Get("http://" + w.ProbeAddr + "/readyz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("/readyz: HTTP %d: %s", resp.StatusCode, body)
	}
	return nil
}

// Checks is /readyz?verbose: one line per readiness check, "[+]name ok" or "[-]name failed".
func (w *Webhook) Checks() (string, error) {
	resp, err := probeClient.Get("http://" + w.ProbeAddr + "/readyz?verbose")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// PID is the process id of the webhook (of taskset's exec of it: the same process).
func (w *Webhook) PID() int { return w.cmd.Process.Pid }

// Signal sends sig to the webhook.
func (w *Webhook) Signal(sig os.Signal) error { return w.cmd.Process.Signal(sig) }

// Exited is closed once the process has exited; ExitErr is then its status.
func (w *Webhook) Exited() <-chan struct{} { return w.exited }

// ExitErr is the process's exit status, once Exited is closed.
func (w *Webhook) ExitErr() error { return w.exitErr }

// Stop sends SIGTERM and waits up to limit for the process to exit (killing it then). It
// returns the exit status; a process that had already exited returns its status at once.
func (w *Webhook) Stop(limit time.Duration) error {
	select {
	case <-w.exited:
		return w.exitErr
	default:
	}
	if err := w.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-w.exited:
		return w.exitErr
	case <-time.After(limit):
		_ = w.Kill()
		return fmt.Errorf("the webhook did not exit within %v of SIGTERM", limit)
	}
}

// Kill ends the process at once.
func (w *Webhook) Kill() error {
	err := w.cmd.Process.Kill()
	<-w.exited
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// Memory is the process's resident set now (VmRSS) and at its peak (VmHWM), in bytes.
func (w *Webhook) Memory() (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", w.PID()))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status: %s: %w", w.PID(), name, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, s.Err()
}

// freeAddr is a loopback address with a port nothing listens on (as of now).
func freeAddr() (*net.TCPAddr, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr), nil
}
