package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// holder is who holds the audit's Lease now.
func holder(t *testing.T) string {
	t.Helper()
	var lease coordinationv1.Lease
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: harness.ServiceNamespace, Name: "linkstate-webhook-audit"}, &lease); err != nil {
		t.Fatalf("reading the audit's Lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

func waitLeader(t *testing.T, metrics string, want float64) {
	t.Helper()
	testwait.Until(t, fmt.Sprintf("linkstate_audit_leader is %v at %s", want, metrics), 30*time.Second, func() error {
		if got := scrape(t, metrics, "linkstate_audit_leader")[""]; got != want {
			return fmt.Errorf("it is %v", got)
		}
		return nil
	})
}

// Two replicas: one scans, the other waits. The leader stops cleanly (it releases the
// Lease) and the other takes over at once; then the new leader is killed (it releases
// nothing) and the first, started again, takes over when the Lease expires. Through both
// moves the Reports stay right and follow new changes.
func TestLeaderMoves(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, true)
	sriov, value, podDown, _, _, _, _ := violators(ns)
	first := holder(t)
	if first == "" {
		t.Fatal("nobody holds the audit's Lease")
	}

	otherMetrics, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	other, err := harness.StartWebhook(ctx, harness.WebhookOptions{
		Binary: env.Binary, Kubeconfig: env.Kubeconfig, CertDir: env.Env.WebhookInstallOptions.LocalServingCertDir,
		Args: append([]string{"--metrics-bind-address=" + otherMetrics, "--shutdown-delay=0s"}, auditArgs...),
		Log:  log,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Kill()
	waitLeader(t, otherMetrics, 0)

	create(t, sriov, podDown)
	want := map[string][]result{
		"linkstate-vm-sriov-down": {{Kind: "VirtualMachine", Name: "sriov-down", Policy: "builtin", Rule: "B1", Result: "fail",
			Message: `spec.template.spec.domain.devices.interfaces[1].state: Invalid value: "linkDown": link state cannot be set on an SR-IOV interface: the VF is passed through to the guest and has no virtual link to toggle; leave state empty and set the link from inside the guest`}},
		"linkstate-vm-pod-down": {{Kind: "VirtualMachine", Name: "pod-down", Policy: "builtin", Rule: "P1", Result: "warn",
			Message: "spec.template.spec.domain.devices.interfaces[0].state: the link of the interface on the default network will be down: readiness and liveness probes, services and other cluster traffic through it stop working"}},
	}
	waitReports(t, ns, want)
	if holder(t) != first {
		t.Fatalf("the Lease moved to %q while its holder ran", holder(t))
	}

	// The leader stops cleanly: it releases the Lease, the other replica takes it.
	if err := env.StopWebhook(); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, otherMetrics, 1)
	second := holder(t)
	if second == first || second == "" {
		t.Fatalf("after the leader stopped the Lease is held by %q (was %q)", second, first)
	}
	// The new leader follows changes: one fixed, one new violation.
	sriov.Spec.Template.Spec.Domain.Devices.Interfaces[1].State = ""
	if err := c.Update(ctx, sriov); err != nil {
		t.Fatal(err)
	}
	create(t, value)
	delete(want, "linkstate-vm-sriov-down")
	want["linkstate-vm-bad-value"] = []result{{Kind: "VirtualMachine", Name: "bad-value", Policy: "builtin", Rule: "V1", Result: "fail",
		Message: `spec.template.spec.domain.devices.interfaces[1].state: Unsupported value: "sideways": supported values: "linkUp", "linkDown", "absent", "up", "down"`}}
	waitReports(t, ns, want)

	// The first replica comes back and waits; the leader is killed and releases nothing:
	// the Lease expires (4s here) and the first takes over.
	if err := env.StartWebhook(ctx, append([]string{"--metrics-bind-address=" + metricsAddr}, auditArgs...)...); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, metricsAddr, 0)
	if err := other.Kill(); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, metricsAddr, 1)
	if third := holder(t); third == second || third == first {
		t.Fatalf("after the leader was killed the Lease is held by %q", third)
	}
	podDown.Spec.Template.Spec.Domain.Devices.Interfaces[0].State = "linkUp"
	if err := c.Update(ctx, podDown); err != nil {
		t.Fatal(err)
	}
	delete(want, "linkstate-vm-pod-down")
	waitReports(t, ns, want)
}
