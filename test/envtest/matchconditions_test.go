package envtest

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
)

// KubeVirt's VMI has no status subresource, so virt-handler's status writes are plain
// updates. The shipped matchConditions keep those away from the webhook: with the webhook
// down (and failurePolicy Fail), a status-only VMI update still goes through while an
// interface change is refused. That proves the API server skipped the call.
func TestVMIStatusUpdatesSkipTheWebhook(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vmi("reported",
		[]iface{{name: "default", binding: "masquerade"}, {name: "sec", binding: "bridge"}},
		[]network{{"default", "pod"}, {"sec", "multus"}}))); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := env.StopWebhook(); err != nil {
		t.Fatalf("stopping the webhook: %v", err)
	}
	t.Cleanup(func() {
		if err := env.StartWebhook(ctx); err != nil {
			t.Fatalf("restarting the webhook: %v", err)
		}
	})

	stored := get(t, vmiGVK, ns, "reported")
	status := []any{map[string]any{"name": "default", "linkState": "up"}, map[string]any{"name": "sec", "linkState": "down"}}
	if err := unstructured.SetNestedSlice(stored.Object, status, "status", "interfaces"); err != nil {
		t.Fatal(err)
	}
	stored.SetLabels(map[string]string{"reported": "yes"})
	if err := c.Update(ctx, stored); err != nil {
		t.Fatalf("status-only VMI update with the webhook down: %v (the matchCondition should skip the call)", err)
	}

	stored = get(t, vmiGVK, ns, "reported")
	setStates(t, stored, map[string]string{"sec": "linkDown"})
	err := c.Update(ctx, stored)
	if err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Fatalf("interface change with the webhook down: err = %v, want the API server to have tried the webhook", err)
	}
}

// The VM validating webhook's matchCondition: with the VM mutating webhook out of the way
// and the binary stopped, an update that leaves interfaces and networks alone goes
// through (so the CEL expression evaluated, to false, on a real VM), while changing an
// interface or a network still calls the webhook.
func TestVMUpdatesSkipTheWebhookWhenInterfacesAreUntouched(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vm("quiet",
		[]iface{{name: "default", binding: "masquerade"}, {name: "sec", binding: "bridge"}},
		[]network{{"default", "pod"}, {"sec", "multus"}}))); err != nil {
		t.Fatalf("create: %v", err)
	}
	webhookDown(t, "mvirtualmachine.linkstate.kubevirt.io")

	relabel := func() error {
		u := get(t, vmGVK, ns, "quiet")
		u.SetLabels(map[string]string{"team": "net"})
		if err := unstructured.SetNestedField(u.Object, "Halted", "spec", "runStrategy"); err != nil {
			t.Fatal(err)
		}
		return c.Update(ctx, u)
	}
	eventually(t, "relabelling a VM with the webhook down", relabel)

	u := get(t, vmGVK, ns, "quiet")
	setStates(t, u, map[string]string{"sec": "linkDown"})
	expectWebhookCalled(t, "changing an interface", c.Update(ctx, u))

	u = get(t, vmGVK, ns, "quiet")
	nets, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "networks")
	nets[1].(map[string]any)["multus"] = map[string]any{"networkName": "other-nad"}
	if err := unstructured.SetNestedSlice(u.Object, nets, "spec", "template", "spec", "networks"); err != nil {
		t.Fatal(err)
	}
	expectWebhookCalled(t, "changing a network", c.Update(ctx, u))
}

// The VMIM validating webhook's matchCondition: a migration that claims no stamp, and an
// update that leaves the annotations alone, need no call; claiming or changing a stamp does.
func TestMigrationsSkipTheWebhookUnlessAStampIsClaimedOrChanged(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	webhookDown(t, "mvirtualmachineinstancemigration.linkstate.kubevirt.io")

	plain := newMigration("plain", "some-vmi", nil)
	plain.SetNamespace(ns)
	eventually(t, "creating an unstamped migration with the webhook down", func() error {
		return c.Create(ctx, plain.DeepCopy())
	})
	u := get(t, vmimGVK, ns, "plain")
	u.SetLabels(map[string]string{"team": "net"})
	if err := c.Update(ctx, u); err != nil {
		t.Errorf("relabelling a migration with the webhook down: %v", err)
	}
	u = get(t, vmimGVK, ns, "plain")
	u.SetAnnotations(map[string]string{migration.AnnotationInterfaces: "{}"})
	expectWebhookCalled(t, "adding a stamp on update", c.Update(ctx, u))

	claimed := newMigration("claimed", "some-vmi", map[string]string{migration.AnnotationObserved: "{}"})
	claimed.SetNamespace(ns)
	expectWebhookCalled(t, "creating a migration that claims a stamp", c.Create(ctx, claimed))
}

// The VM mutating webhook's matchCondition: with the binary stopped (failurePolicy Fail) and
// no webhook removed, a relabel and a change elsewhere in the spec go through — so neither
// the mutating nor the validating webhook was asked — while changing an interface is sent
// to the mutating webhook first; with the binary back, an interface added on update is
// still defaulted.
func TestVMRelabelSendsNoReviewButInterfaceChangesAreDefaulted(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vm("relabelled",
		[]iface{{name: "default", binding: "masquerade"}, {name: "sec", binding: "bridge"}},
		[]network{{"default", "pod"}, {"sec", "multus"}}))); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := env.StopWebhook(); err != nil {
		t.Fatalf("stopping the webhook: %v", err)
	}
	running := false
	t.Cleanup(func() {
		if !running {
			if err := env.StartWebhook(ctx); err != nil {
				t.Fatalf("restarting the webhook: %v", err)
			}
		}
	})

	u := get(t, vmGVK, ns, "relabelled")
	u.SetLabels(map[string]string{"release": "2025-11-04"})
	u.SetAnnotations(map[string]string{"argocd.argoproj.io/tracking-id": "billing:kubevirt.io/VirtualMachine:" + ns + "/relabelled"})
	if err := c.Update(ctx, u); err != nil {
		t.Fatalf("relabelling a VM with the webhook down: %v (the matchConditions should skip both webhooks)", err)
	}
	u = get(t, vmGVK, ns, "relabelled")
	if err := unstructured.SetNestedField(u.Object, "Halted", "spec", "runStrategy"); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, u); err != nil {
		t.Fatalf("changing the run strategy with the webhook down: %v", err)
	}

	u = get(t, vmGVK, ns, "relabelled")
	setStates(t, u, map[string]string{"sec": "linkDown"})
	err := c.Update(ctx, u)
	if err == nil || !strings.Contains(err.Error(), `failed calling webhook "mvirtualmachine.linkstate.kubevirt.io"`) {
		t.Fatalf("changing an interface with the webhook down: err = %v, want the API server to have called the mutating webhook", err)
	}

	if err := env.StartWebhook(ctx); err != nil {
		t.Fatalf("restarting the webhook: %v", err)
	}
	running = true
	u = get(t, vmGVK, ns, "relabelled")
	ifaces := append(interfaceList(t, u), map[string]any{"name": "third", "bridge": map[string]any{}})
	if err := unstructured.SetNestedSlice(u.Object, ifaces, interfacesPath(u)...); err != nil {
		t.Fatal(err)
	}
	nets, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "networks")
	nets = append(nets, map[string]any{"name": "third", "multus": map[string]any{"networkName": "third-nad"}})
	if err := unstructured.SetNestedSlice(u.Object, nets, "spec", "template", "spec", "networks"); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, u); err != nil {
		t.Fatalf("adding an interface: %v", err)
	}
	want := map[string]string{"default": "linkUp", "sec": "linkUp", "third": "linkUp"}
	if got := states(t, get(t, vmGVK, ns, "relabelled")); !reflect.DeepEqual(got, want) {
		t.Errorf("stored states %v, want %v (the added interface defaulted)", got, want)
	}
}

// webhookDown removes one mutating webhook (so that only the validating webhook's
// matchCondition decides) and stops the binary, both restored when the test ends.
func webhookDown(t *testing.T, mutating string) {
	t.Helper()
	restore := withoutMutatingWebhook(t, mutating)
	if err := env.StopWebhook(); err != nil {
		t.Fatalf("stopping the webhook: %v", err)
	}
	t.Cleanup(func() {
		restore()
		if err := env.StartWebhook(context.Background()); err != nil {
			t.Fatalf("restarting the webhook: %v", err)
		}
	})
}

// eventually retries try until it succeeds: webhook configuration changes reach the API
// server's admission chain within moments, not at once.
func eventually(t *testing.T, what string, try func() error) {
	t.Helper()
	testwait.Until(t, what, 10*time.Second, try)
}

func expectWebhookCalled(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Errorf("%s with the webhook down: err = %v, want the API server to have tried the webhook", what, err)
	}
}
