package kubectl

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

// oneSpellingKubeVirt stands in for a cluster without this project's webhook whose KubeVirt
// knows one dialect's spelling only — stock KubeVirt >= v1.5 knows up/down, a patched seed
// build linkUp/linkDown: its validator denies the other spelling with a cause on the
// interface's state field, as KubeVirt's own validator reports a bad value. It serves VM
// creates and updates in one namespace, which it returns; the project's webhook is
// switched off there (linkstate.kubevirt.io/webhook: disabled).
func oneSpellingKubeVirt(t *testing.T, knows linkstate.Dialect) string {
	t.Helper()
	ns := namespace(t)
	ctx := context.Background()
	namespace := &corev1.Namespace{}
	if err := c.Get(ctx, clientKey("", ns), namespace); err != nil {
		t.Fatal(err)
	}
	namespace.Labels["linkstate.kubevirt.io/webhook"] = "disabled"
	if err := c.Update(ctx, namespace); err != nil {
		t.Fatal(err)
	}

	handler := &admission.Webhook{Handler: admission.HandlerFunc(func(_ context.Context, req admission.Request) admission.Response {
		obj, err := linkstate.VirtualMachine.Decode(req.Object.Raw)
		if err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		var causes []metav1.StatusCause
		for i, iface := range obj.Spec.Domain.Devices.Interfaces {
			if m, alias := knows.Interpret(iface.State); alias || m == linkstate.MeaningInvalid {
				causes = append(causes, metav1.StatusCause{
					Type:    metav1.CauseTypeFieldValueNotSupported,
					Field:   ownertool.StatePath(linkstate.VirtualMachine, i).String(),
					Message: fmt.Sprintf("interface state %q is not supported: use %s, %s or absent", iface.State, knows.Up(), knows.Down()),
				})
			}
		}
		if len(causes) == 0 {
			return admission.Allowed("")
		}
		return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Result: &metav1.Status{
			Code: http.StatusUnprocessableEntity, Reason: metav1.StatusReasonInvalid,
			Message: "the link state is not supported",
			Details: &metav1.StatusDetails{Group: "kubevirt.io", Kind: "VirtualMachine", Name: req.Name, Causes: causes},
		}}}
	})}

	// Served over TLS with envtest's serving certificate, which the API server trusts.
	certDir := env.Env.WebhookInstallOptions.LocalServingCertDir
	cert, err := tls.LoadX509KeyPair(filepath.Join(certDir, "tls.crt"), filepath.Join(certDir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	listener, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(func() { _ = server.Close() })

	url := fmt.Sprintf("https://%s/validate", listener.Addr().(*net.TCPAddr))
	config := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "virt-api-" + ns},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "virtualmachine-validator.kubevirt.io",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: env.Env.WebhookInstallOptions.LocalServingCAData},
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"kubevirt.io"}, APIVersions: []string{"v1"},
					Resources: []string{"virtualmachines"}, Scope: ptr.To(admissionregistrationv1.NamespacedScope)},
			}},
		}},
	}
	if err := c.Create(ctx, config); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), config) })

	// The API server picks up a new webhook configuration asynchronously: wait until it
	// denies what it should.
	probe := parse(t, ns, "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: probe\nspec:\n  template:\n    spec:\n"+
		spec("      ", []iface{{name: "blue", binding: "bridge", state: "sideways"}}))
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.Create(ctx, probe.DeepCopy(), &clientDryRun)
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(errors.New("the stand-in validator was not called within 30s"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return ns
}
