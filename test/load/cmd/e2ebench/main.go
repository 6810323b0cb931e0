// Command e2ebench measures what admission adds to creating a VirtualMachine through a
// real API server (envtest's kube-apiserver and etcd, KubeVirt's CRDs, the
// MutatingAdmissionPolicy feature gate on): it creates VMs one after another and reports
// the create latency with no admission control, with this service's webhooks (mutating +
// validating, as shipped), with the admission policies `webhook cel` generates instead
// (validating and mutating, or validating only), and with both at once, and the overhead
// of each over none.
//
//	go run ./test/load/cmd/e2ebench -vms 500
//
// The modes take turns in rounds, so a drift of the machine (other work, a growing etcd)
// spreads over all of them instead of biasing the last.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/internal/workload"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/cel"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
	"github.com/linkstate-webhook/linkstate-webhook/test/load"
)

func main() {
	vms := flag.Int("vms", 500, "VMs created per mode")
	rounds := flag.Int("rounds", 5, "rounds the modes take turns in (vms are split among them)")
	warmup := flag.Int("warmup", 20, "creates per mode and round before measuring")
	interfaces := flag.Int("interfaces", 4, "interfaces per VM")
	verbose := flag.Bool("v", false, "show the webhook's output")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, *vms, *rounds, *warmup, *interfaces, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "e2ebench:", err)
		os.Exit(1)
	}
}

// A mode is one way of guarding VM creates.
type mode struct {
	name  string
	setup func(context.Context) error
	// inEffect returns nil once the API server applies the mode: configurations and
	// policies take effect a moment after they are written.
	inEffect func(context.Context) error
	// allSet creates VMs whose every interface has its state set.
	allSet bool
}

type bench struct {
	c          client.Client
	interfaces int
	// The shipped webhook configurations as installed, to take out and put back.
	mutating   []admissionregistrationv1.MutatingWebhookConfiguration
	validating []admissionregistrationv1.ValidatingWebhookConfiguration
	seq        int
	// allSet: the first interface's state is set too, leaving the mutator nothing to do.
	allSet bool
	// The generated policies, with and without the mutating ones.
	withMutating, validatingOnly []client.Object
}

func run(ctx context.Context, vms, rounds, warmup, interfaces int, verbose bool) error {
	var log io.Writer = io.Discard
	if verbose {
		log = os.Stderr
	}
	fmt.Printf("machine: %d CPUs, %s; %d VMs per mode (%d interfaces each), in %d rounds, %d warm-up creates per mode and round\n",
		runtime.NumCPU(), runtime.Version(), vms, interfaces, rounds, warmup)
	fmt.Println("starting kube-apiserver, etcd and the webhook (envtest) ...")
	env, err := harness.Start(ctx, harness.Options{WebhookLog: log, APIServerArgs: map[string][]string{
		"feature-gates":  {"MutatingAdmissionPolicy=true"},
		"runtime-config": {"admissionregistration.k8s.io/v1beta1=true"},
	}})
	if err != nil {
		if env != nil {
			_ = env.Stop()
		}
		return err
	}
	defer env.Stop()

	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = -1, 0 // no client-side limiter: measure the server, not throttling
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return err
	}
	b := &bench{c: c, interfaces: interfaces}
	if err := b.saveWebhooks(ctx); err != nil {
		return err
	}
	// The modes put the policies in and take them out, round after round.
	if err := harness.PinConfigMapParams(ctx, c, true); err != nil {
		return err
	}
	if b.validatingOnly, err = generated(false); err != nil {
		return err
	}
	if b.withMutating, err = generated(true); err != nil {
		return err
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: celNamespace}}); err != nil {
		return err
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2ebench"}}); err != nil {
		return err
	}

	var floorReviews atomic.Int64
	floor, err := startAllowAll(env, &floorReviews)
	if err != nil {
		return err
	}
	defer floor.Close()
	rejected := func(want bool) func(context.Context) error {
		return func(ctx context.Context) error { return b.waitEnforced(ctx, want) }
	}
	modes := []mode{
		{name: "none", setup: b.none, inEffect: rejected(false)},
		{name: "webhooks", setup: b.webhooks, inEffect: rejected(true)},
		// The same, but every state already set: the mutating webhook answers without a
		// patch, which spares the API server applying one.
		{name: "webhooks, no patch", setup: b.webhooks, inEffect: rejected(true), allSet: true},
		{name: "allow-all hooks", setup: func(ctx context.Context) error { return b.allowAll(ctx, floor.Listener.Addr().String()) },
			inEffect: func(ctx context.Context) error { return b.waitBothCalled(ctx, &floorReviews) }},
		{name: "cel policies", setup: b.policies(b.withMutating), inEffect: b.defaulting(rejected(true))},
		{name: "cel, validating only", setup: b.policies(b.validatingOnly), inEffect: rejected(true)},
		{name: "webhooks + cel", setup: b.both, inEffect: b.defaulting(rejected(true))},
	}
	latencies := make([][]time.Duration, len(modes))
	perRound := vms / rounds
	for round := range rounds {
		for i, m := range modes {
			if err := m.setup(ctx); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if err := m.inEffect(ctx); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			b.allSet = m.allSet
			if _, err := b.create(ctx, warmup); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			n := perRound
			if round == rounds-1 {
				n = vms - perRound*(rounds-1)
			}
			got, err := b.create(ctx, n)
			if err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			latencies[i] = append(latencies[i], got...)
		}
		fmt.Printf("round %d of %d done\n", round+1, rounds)
	}

	fmt.Printf("\n%-21s %6s %9s %9s %9s %14s %14s\n", "mode", "VMs", "p50", "p99", "max", "p50 overhead", "p99 overhead")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	base50, base99 := load.Percentile(sorted(latencies[0]), 50), load.Percentile(sorted(latencies[0]), 99)
	for i, m := range modes {
		l := sorted(latencies[i])
		p50, p99 := load.Percentile(l, 50), load.Percentile(l, 99)
		over50, over99 := "", ""
		if i > 0 {
			over50, over99 = ms(p50-base50), ms(p99-base99)
		}
		fmt.Printf("%-21s %6d %9s %9s %9s %14s %14s\n", m.name, len(l), ms(p50), ms(p99), ms(l[len(l)-1]), over50, over99)
	}
	return nil
}

func sorted(d []time.Duration) []time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d
}

// create makes n VMs one after the other and returns how long each create took.
func (b *bench) create(ctx context.Context, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for range n {
		b.seq++
		vm := b.vm(fmt.Sprintf("vm-%05d", b.seq), "linkUp")
		start := time.Now()
		if err := b.c.Create(ctx, vm); err != nil {
			return nil, fmt.Errorf("creating %s: %w", vm.GetName(), err)
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

// vm is the realistic VM as a client creates it, its secondary interfaces' states set to
// state (the first is left empty, for the mutating webhook to default).
func (b *bench) vm(name, state string) *unstructured.Unstructured {
	obj := workload.ForCreate(workload.VM(name, "e2ebench", b.interfaces, false))
	delete(obj["metadata"].(map[string]any)["annotations"].(map[string]any), "kubectl.kubernetes.io/last-applied-configuration")
	ifaces := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["domain"].(map[string]any)["devices"].(map[string]any)["interfaces"].([]any)
	first := 1
	if b.allSet {
		first = 0
	}
	for _, iface := range ifaces[first:] {
		iface.(map[string]any)["state"] = state
	}
	return &unstructured.Unstructured{Object: obj}
}

// waitEnforced polls with dry-run creates of a VM with an illegal state until the API
// server refuses it (or, with rejects false, accepts it): webhook configurations and
// policies take effect, and go, a moment after they are written or deleted.
func (b *bench) waitEnforced(ctx context.Context, rejects bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := b.c.Create(ctx, b.vm("bad-state", "sideways"), client.DryRunAll)
		switch {
		case rejects && apierrors.IsInvalid(err):
			return nil
		case !rejects && err == nil:
			return nil
		case rejects && err != nil && !apierrors.IsInvalid(err):
			return fmt.Errorf("dry-run create: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not in effect within 30s (want rejected=%v, got %v)", rejects, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitBothCalled polls with dry-run creates until one of them reaches the allow-all
// server twice: its mutating and its validating webhook are both in effect.
func (b *bench) waitBothCalled(ctx context.Context, reviews *atomic.Int64) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		before := reviews.Load()
		if err := b.c.Create(ctx, b.vm("probe", "linkUp"), client.DryRunAll); err != nil {
			return fmt.Errorf("dry-run create: %w", err)
		}
		if reviews.Load()-before >= 2 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("the allow-all webhooks were not called within 30s")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *bench) saveWebhooks(ctx context.Context) error {
	var m admissionregistrationv1.MutatingWebhookConfigurationList
	var v admissionregistrationv1.ValidatingWebhookConfigurationList
	if err := b.c.List(ctx, &m); err != nil {
		return err
	}
	if err := b.c.List(ctx, &v); err != nil {
		return err
	}
	if len(m.Items) == 0 || len(v.Items) == 0 {
		return errors.New("the harness installed no webhook configurations")
	}
	b.mutating, b.validating = m.Items, v.Items
	return nil
}

// none removes every webhook configuration and generated policy.
func (b *bench) none(ctx context.Context) error {
	for i := range b.mutating {
		if err := client.IgnoreNotFound(b.c.Delete(ctx, &b.mutating[i])); err != nil {
			return err
		}
	}
	for i := range b.validating {
		if err := client.IgnoreNotFound(b.c.Delete(ctx, &b.validating[i])); err != nil {
			return err
		}
	}
	// Bindings before policies, the params last: a binding left without its params would
	// deny every create while it lingers.
	for i := len(b.withMutating) - 1; i >= 0; i-- {
		if err := client.IgnoreNotFound(b.c.Delete(ctx, b.withMutating[i].DeepCopyObject().(client.Object))); err != nil {
			return err
		}
	}
	return nil
}

// webhooks puts the shipped webhook configurations back, and nothing else.
func (b *bench) webhooks(ctx context.Context) error { return b.installWebhooks(ctx, "") }

// allowAll installs the shipped webhook configurations pointed at addr, a server whose
// every webhook allows everything: the cost of calling two webhooks at all, which no
// handler can go below.
func (b *bench) allowAll(ctx context.Context, addr string) error { return b.installWebhooks(ctx, addr) }

// installWebhooks puts the shipped configurations back, their URLs' host replaced by addr
// if it is set.
func (b *bench) installWebhooks(ctx context.Context, addr string) error {
	if err := b.none(ctx); err != nil {
		return err
	}
	retarget := func(cc *admissionregistrationv1.WebhookClientConfig) error {
		if addr == "" {
			return nil
		}
		if cc.URL == nil {
			return errors.New("a webhook without a URL")
		}
		u, err := url.Parse(*cc.URL)
		if err != nil {
			return err
		}
		u.Host = addr
		s := u.String()
		cc.URL = &s
		return nil
	}
	for _, m := range b.mutating {
		m = *m.DeepCopy()
		m.ResourceVersion, m.UID = "", ""
		for i := range m.Webhooks {
			if err := retarget(&m.Webhooks[i].ClientConfig); err != nil {
				return err
			}
		}
		if err := b.c.Create(ctx, &m); err != nil {
			return err
		}
	}
	for _, v := range b.validating {
		v = *v.DeepCopy()
		v.ResourceVersion, v.UID = "", ""
		for i := range v.Webhooks {
			if err := retarget(&v.Webhooks[i].ClientConfig); err != nil {
				return err
			}
		}
		if err := b.c.Create(ctx, &v); err != nil {
			return err
		}
	}
	return nil
}

// startAllowAll serves, over TLS with envtest's serving certificate and HTTP/1.1 only (as
// the webhook does), an admission.Webhook that allows everything on every path.
func startAllowAll(env *harness.Env, reviews *atomic.Int64) (*httptest.Server, error) {
	dir := env.Env.WebhookInstallOptions.LocalServingCertDir
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(&admission.Webhook{Handler: admission.HandlerFunc(
		func(context.Context, admission.Request) admission.Response {
			reviews.Add(1)
			return admission.Allowed("")
		})})
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	return srv, nil
}

// celNamespace holds the policies' params; like the webhook's own namespace, it is not judged.
const celNamespace = "e2ebench-cel"

// generated is what `webhook cel --namespace e2ebench-cel --create-namespace=false
// [--mutating=false]` prints, with the default settings.
func generated(mutating bool) ([]client.Object, error) {
	opts := cel.DefaultOptions()
	opts.Namespace, opts.CreateNamespace, opts.Mutating = celNamespace, false, mutating
	p, err := cel.Generate(opts)
	if err != nil {
		return nil, err
	}
	return p.Objects(), nil
}

// policies installs the generated policies, and nothing else.
func (b *bench) policies(objs []client.Object) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := b.none(ctx); err != nil {
			return err
		}
		return b.install(ctx, objs)
	}
}

// both installs the shipped webhook configurations and the generated policies: what a
// cluster moving from one to the other runs for a while, judged twice.
func (b *bench) both(ctx context.Context) error {
	if err := b.webhooks(ctx); err != nil {
		return err
	}
	return b.install(ctx, b.withMutating)
}

func (b *bench) install(ctx context.Context, objs []client.Object) error {
	for _, o := range objs {
		o = o.DeepCopyObject().(client.Object)
		if err := b.c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
	}
	return nil
}

// defaulting is inEffect, then waits until a dry-run create comes back with its first
// interface's empty state defaulted: the mutating policy (or webhook) is in effect too.
func (b *bench) defaulting(inEffect func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := inEffect(ctx); err != nil {
			return err
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			vm := b.vm("probe", "linkUp")
			if err := b.c.Create(ctx, vm, client.DryRunAll); err != nil {
				return fmt.Errorf("dry-run create: %w", err)
			}
			ifaces, _, _ := unstructured.NestedSlice(vm.Object, "spec", "template", "spec", "domain", "devices", "interfaces")
			if len(ifaces) > 0 && ifaces[0].(map[string]any)["state"] == "linkUp" {
				return nil
			}
			if time.Now().After(deadline) {
				return errors.New("no defaulting within 30s")
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}
