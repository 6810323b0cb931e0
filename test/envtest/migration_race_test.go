package envtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
)

// statusWriter plays virt-handler at the worst moment: registered as a mutating webhook
// that the API server calls after linkstate-webhook's own (configurations are called in
// name order), it rewrites the VMI's reported link state while the migration is between
// the mutating and the validating webhook. It is test code, not part of the product.
type statusWriter struct {
	t           *testing.T
	ns, vmiName string
	writes      atomic.Int32
}

func (w *statusWriter) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(rw, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	if !ptr.Deref(review.Request.DryRun, false) && review.Request.Namespace == w.ns {
		next := map[bool]string{true: "up", false: "down"}[w.writes.Add(1)%2 == 1]
		reportLinkStates(w.t, w.ns, w.vmiName, map[string]string{"sec": next})
	}
	review.Response = &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	review.Request = nil
	_ = json.NewEncoder(rw).Encode(review)
}

// register serves the writer on the envtest webhook certificate and registers it for
// migrations, after linkstate-webhook's mutating webhooks.
func (w *statusWriter) register(t *testing.T) {
	t.Helper()
	opts := env.Env.WebhookInstallOptions
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: w, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		_ = srv.ServeTLS(listener, filepath.Join(opts.LocalServingCertDir, "tls.crt"), filepath.Join(opts.LocalServingCertDir, "tls.key"))
	}()
	t.Cleanup(func() { _ = srv.Close() })

	url := "https://" + listener.Addr().String() + "/"
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "zz-test-vmi-status-writer"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "status-writer.test.linkstate.kubevirt.io",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: opts.LocalServingCAData},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, Rule: admissionregistrationv1.Rule{APIGroups: []string{"kubevirt.io"}, APIVersions: []string{"v1"}, Resources: []string{"virtualmachineinstancemigrations"}}}},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun),
			AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": w.ns}},
		}},
	}
	if err := c.Create(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), cfg) })
	// The API server picks the configuration up a moment later: until then a probe is
	// admitted without the writer, so each attempt needs a name of its own.
	attempt := 0
	testwait.Until(t, "the status writer is called", 10*time.Second, func() error {
		attempt++
		before := w.writes.Load()
		probe := newMigration(fmt.Sprintf("writer-probe-%d", attempt), w.vmiName, nil)
		probe.SetNamespace(w.ns)
		if err := c.Create(context.Background(), probe); err != nil {
			return err
		}
		if w.writes.Load() == before {
			return errNotYet
		}
		return nil
	})
}

var errNotYet = errors.New("not yet")

// TestMigrationStampSurvivesAStatusWrite: virt-handler writes the VMI's status often. A
// write between the mutating and the validating webhook must not deny a migration nobody
// forged: the mutating webhook signs its stamp, and the validating one trusts its
// signature instead of comparing with a VMI that has moved on. Without the signature the
// same race denies the migration, as the second half shows.
func TestMigrationStampSurvivesAStatusWrite(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := c.Create(ctx, object(t, ns, vmi("racy-vm",
		[]iface{{name: "sec", binding: "bridge", state: "linkDown"}}, []network{{"sec", "multus"}}))); err != nil {
		t.Fatalf("create VMI: %v", err)
	}
	reportLinkStates(t, ns, "racy-vm", map[string]string{"sec": "down"})
	writer := &statusWriter{t: t, ns: ns, vmiName: "racy-vm"}
	writer.register(t)

	reported := reportedLinkStates(t, ns, "racy-vm")
	before := writer.writes.Load()
	m := newMigration("racy-1", "racy-vm", nil)
	m.SetNamespace(ns)
	if err := c.Create(ctx, m); err != nil {
		t.Fatalf("a migration whose VMI status changed between the webhook calls was denied: %v", err)
	}
	if writer.writes.Load() != before+1 {
		t.Fatalf("the status writer ran %d times, want once", writer.writes.Load()-before)
	}
	stored := get(t, vmimGVK, ns, "racy-1")
	_, observed := stamp(t, stored)
	now := reportedLinkStates(t, ns, "racy-vm")
	if observed["sec"] == now["sec"] {
		t.Fatalf("no race happened: stamped %v, VMI now reports %v (before: %v)", observed, now, reported)
	}
	if stored.GetAnnotations()[migration.AnnotationSignature] == "" {
		t.Errorf("the stamp is not signed: %v", stored.GetAnnotations())
	}

	// The same race with an honest but unsigned stamp (the mutating webhook out of the
	// way, the requester stamping what the VMI says now): compared with the VMI the writer
	// has just changed, it is refused.
	restore := withoutMutatingWebhook(t, "mvirtualmachineinstancemigration.linkstate.kubevirt.io")
	defer func() {
		restore()
		waitStamping(t, ns, "racy-vm", true)
	}()
	attempt := 0
	testwait.Until(t, "an honest unsigned stamp is refused after a status write", 10*time.Second, func() error {
		attempt++
		now := reportedLinkStates(t, ns, "racy-vm")
		honest := newMigration(fmt.Sprintf("racy-unsigned-%d", attempt), "racy-vm", map[string]string{
			migration.AnnotationInterfaces: `{"sec":"linkDown"}`,
			migration.AnnotationObserved:   `{"sec":"` + now["sec"] + `"}`,
		})
		honest.SetNamespace(ns)
		err := c.Create(ctx, honest)
		if err == nil {
			return errNotYet // the mutating webhook was still in the chain and re-stamped it
		}
		invalid(t, err, map[string]string{
			"metadata.annotations[linkstate.kubevirt.io/observed]": `must be what linkstate-webhook stamps from VMI "racy-vm", {"sec":"` + flip(now["sec"]) + `"}; remove the annotation and let the webhook stamp it`,
		})
		return nil
	})
}

func flip(state string) string { return map[string]string{"up": "down", "down": "up"}[state] }

// reportedLinkStates is status.interfaces[].linkState of a VMI, by interface name.
func reportedLinkStates(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	list, _, _ := unstructured.NestedSlice(get(t, vmiGVK, ns, name).Object, "status", "interfaces")
	for _, i := range list {
		m, _ := i.(map[string]any)
		n, _ := m["name"].(string)
		s, _ := m["linkState"].(string)
		out[n] = s
	}
	return out
}
