package envtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
)

// The seed story "link states persist following a migration", at admission level: every
// VirtualMachineInstanceMigration carries the VMI's link states for the target.

func newMigration(name, vmiName string, annotations map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"vmiName": vmiName},
	}}
	if annotations != nil {
		u.SetAnnotations(annotations)
	}
	return u
}

// stamp decodes the interfaces and observed annotations of a stored migration.
func stamp(t *testing.T, u *unstructured.Unstructured) (desired, observed map[string]string) {
	t.Helper()
	a := u.GetAnnotations()
	for key, into := range map[string]*map[string]string{migration.AnnotationInterfaces: &desired, migration.AnnotationObserved: &observed} {
		raw, ok := a[key]
		if !ok {
			t.Fatalf("migration %s has no %s annotation: %v", u.GetName(), key, a)
		}
		if err := json.Unmarshal([]byte(raw), into); err != nil {
			t.Fatalf("%s is not a JSON object: %q", key, raw)
		}
	}
	return desired, observed
}

// reportLinkStates writes status.interfaces[].linkState as virt-handler does: with a plain
// update, since KubeVirt's VMI has no status subresource.
func reportLinkStates(t *testing.T, ns, name string, linkStates map[string]string) {
	t.Helper()
	u := get(t, vmiGVK, ns, name)
	var list []any
	for iface, state := range linkStates {
		list = append(list, map[string]any{"name": iface, "linkState": state})
	}
	if err := unstructured.SetNestedSlice(u.Object, list, "status", "interfaces"); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(context.Background(), u); err != nil {
		t.Fatalf("reporting link states: %v", err)
	}
}

var vmimGVK = vmiGVK.GroupVersion().WithKind("VirtualMachineInstanceMigration")

func TestMigrationCarriesLinkStates(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vmi("mig-vm",
		[]iface{{name: "default", binding: "masquerade", state: "linkUp"}, {name: "sec", binding: "bridge", state: "linkDown"}},
		[]network{{"default", "pod"}, {"sec", "multus"}}))); err != nil {
		t.Fatalf("create VMI: %v", err)
	}
	reportLinkStates(t, ns, "mig-vm", map[string]string{"default": "up", "sec": "down"})

	first := newMigration("mig-1", "mig-vm", nil)
	first.SetNamespace(ns)
	if err := c.Create(ctx, first); err != nil {
		t.Fatalf("create migration: %v", err)
	}
	desired, observed := stamp(t, get(t, vmimGVK, ns, "mig-1"))
	if diff := cmp.Diff(map[string]string{"default": "linkUp", "sec": "linkDown"}, desired); diff != "" {
		t.Errorf("first migration, interfaces (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"default": "up", "sec": "down"}, observed); diff != "" {
		t.Errorf("first migration, observed (-want +got):\n%s", diff)
	}

	// The owner sets the link up; KubeVirt's VM controller copies it into the VMI (done by
	// hand here: no KubeVirt controllers run in envtest), virt-handler reports it.
	vmiObj := get(t, vmiGVK, ns, "mig-vm")
	setStates(t, vmiObj, map[string]string{"sec": "linkUp"})
	if err := c.Update(ctx, vmiObj); err != nil {
		t.Fatalf("VMI sec -> linkUp: %v", err)
	}
	reportLinkStates(t, ns, "mig-vm", map[string]string{"default": "up", "sec": "up"})
	second := newMigration("mig-2", "mig-vm", nil)
	second.SetNamespace(ns)
	if err := c.Create(ctx, second); err != nil {
		t.Fatalf("create second migration: %v", err)
	}
	desired, observed = stamp(t, get(t, vmimGVK, ns, "mig-2"))
	if desired["sec"] != "linkUp" || observed["sec"] != "up" {
		t.Errorf("second migration: interfaces %v, observed %v; want sec linkUp / up", desired, observed)
	}
}

func TestMigrationAnnotationsCannotBeEdited(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vmi("edit-vm",
		[]iface{{name: "sec", binding: "bridge", state: "linkDown"}}, []network{{"sec", "multus"}}))); err != nil {
		t.Fatalf("create VMI: %v", err)
	}
	m := newMigration("edit-1", "edit-vm", nil)
	m.SetNamespace(ns)
	if err := c.Create(ctx, m); err != nil {
		t.Fatalf("create migration: %v", err)
	}

	// A tenant (any identity but KubeVirt's) cannot change what was stamped.
	stored := get(t, vmimGVK, ns, "edit-1")
	a := stored.GetAnnotations()
	a[migration.AnnotationInterfaces] = `{"sec":"linkUp"}`
	stored.SetAnnotations(a)
	printed := invalid(t, c.Update(ctx, stored), map[string]string{
		"metadata.annotations[linkstate.kubevirt.io/interfaces]": "is stamped by linkstate-webhook from the VMI when the migration is created and cannot be changed afterwards",
	})
	if !strings.Contains(printed, `VirtualMachineInstanceMigration.kubevirt.io "edit-1" is invalid`) {
		t.Errorf("kubectl would print %q", printed)
	}
	// Other annotations stay editable.
	stored = get(t, vmimGVK, ns, "edit-1")
	a = stored.GetAnnotations()
	a["team"] = "network"
	stored.SetAnnotations(a)
	if err := c.Update(ctx, stored); err != nil {
		t.Errorf("editing an unrelated annotation: %v", err)
	}

	// KubeVirt's controller may.
	controller := clientAs(t, "system:serviceaccount:kubevirt:kubevirt-controller")
	stored = get(t, vmimGVK, ns, "edit-1")
	a = stored.GetAnnotations()
	a[migration.AnnotationInterfaces] = `{"sec":"linkUp"}`
	stored.SetAnnotations(a)
	if err := controller.Update(ctx, stored); err != nil {
		t.Fatalf("exempt identity editing the stamp: %v", err)
	}
	if got := get(t, vmimGVK, ns, "edit-1").GetAnnotations()[migration.AnnotationInterfaces]; got != `{"sec":"linkUp"}` {
		t.Errorf("stored %q after the exempt edit", got)
	}
}

// With the mutating webhook bypassed (here: removed from the API server), a migration
// created with forged annotations is still refused by the validating webhook.
func TestForgedStampWithOnlyTheValidatingWebhook(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vmi("forge-vm",
		[]iface{{name: "sec", binding: "bridge", state: "linkDown"}}, []network{{"sec", "multus"}}))); err != nil {
		t.Fatalf("create VMI: %v", err)
	}
	restore := withoutMutatingWebhook(t, "mvirtualmachineinstancemigration.linkstate.kubevirt.io")
	waitStamping(t, ns, "forge-vm", false)
	defer func() {
		restore()
		waitStamping(t, ns, "forge-vm", true) // later tests expect stamping again
	}()

	// A made-up signature does not help: the stamp is then compared with the VMI.
	forged := map[string]string{migration.AnnotationInterfaces: `{"sec":"linkUp"}`, migration.AnnotationSignature: "v1.00000000.bm90IGEgc2lnbmF0dXJl"}
	m := newMigration("forge-1", "forge-vm", forged)
	m.SetNamespace(ns)
	invalid(t, c.Create(ctx, m, client.DryRunAll), map[string]string{
		"metadata.annotations[linkstate.kubevirt.io/interfaces]": `must be what linkstate-webhook stamps from VMI "forge-vm", {"sec":"linkDown"}; remove the annotation and let the webhook stamp it`,
	})
	// The true stamp passes, and no stamp at all passes too.
	honest := newMigration("forge-2", "forge-vm", map[string]string{migration.AnnotationInterfaces: `{"sec":"linkDown"}`})
	honest.SetNamespace(ns)
	if err := c.Create(ctx, honest); err != nil {
		t.Errorf("migration with the true stamp: %v", err)
	}
	plain := newMigration("forge-3", "forge-vm", nil)
	plain.SetNamespace(ns)
	if err := c.Create(ctx, plain); err != nil {
		t.Errorf("migration without a stamp: %v", err)
	}
}

func TestMigrationOfAMissingVMI(t *testing.T) {
	ns := namespace(t)
	warnings.Take()
	m := newMigration("lost-1", "no-such-vmi", nil)
	m.SetNamespace(ns)
	if err := c.Create(context.Background(), m); err != nil {
		t.Fatalf("create: %v", err)
	}
	want := []string{`VMI "no-such-vmi" not found in namespace "` + ns + `": link states are not stamped on this migration`}
	if diff := cmp.Diff(want, warnings.Take()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if a := get(t, vmimGVK, ns, "lost-1").GetAnnotations(); len(a) != 0 {
		t.Errorf("annotations %v, want none", a)
	}
}

// clientAs is a client authenticated as user (with full rights: only the name matters).
func clientAs(t *testing.T, user string) client.Client {
	t.Helper()
	u, err := env.Env.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(u.Config())
	cl, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// withoutMutatingWebhook removes one webhook from the mutating configuration and returns
// a function that puts it back. Either change reaches the API server's admission chain
// within moments, not at once.
func withoutMutatingWebhook(t *testing.T, name string) func() {
	t.Helper()
	ctx := context.Background()
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: "linkstate-webhook-mutating"}, cfg); err != nil {
		t.Fatal(err)
	}
	original := cfg.DeepCopy()
	var kept []admissionregistrationv1.MutatingWebhook
	for _, w := range cfg.Webhooks {
		if w.Name != name {
			kept = append(kept, w)
		}
	}
	if len(kept) == len(cfg.Webhooks) {
		t.Fatalf("no mutating webhook %q", name)
	}
	cfg.Webhooks = kept
	if err := c.Update(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return func() {
		current := &admissionregistrationv1.MutatingWebhookConfiguration{}
		if err := c.Get(ctx, client.ObjectKey{Name: original.Name}, current); err != nil {
			t.Fatal(err)
		}
		current.Webhooks = original.Webhooks
		if err := c.Update(ctx, current); err != nil {
			t.Fatal(err)
		}
	}
}

// waitStamping waits until a dry-run migration of the VMI vmiName in ns comes back
// stamped (want) or not.
func waitStamping(t *testing.T, ns, vmiName string, want bool) {
	t.Helper()
	testwait.Until(t, fmt.Sprintf("migrations stamped: %v", want), 10*time.Second, func() error {
		probe := newMigration("stamp-probe", vmiName, nil)
		probe.SetNamespace(ns)
		if err := c.Create(context.Background(), probe, client.DryRunAll); err != nil {
			return err
		}
		if _, got := probe.GetAnnotations()[migration.AnnotationInterfaces]; got != want {
			return fmt.Errorf("stamped: %v", got)
		}
		return nil
	})
}
