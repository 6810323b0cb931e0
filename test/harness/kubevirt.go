package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"

	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// KubeVirtStandIn is TEST CODE standing in for KubeVirt's own validating webhook on
// VirtualMachines (virt-api's), which envtest does not run. It accepts exactly the
// link-state spellings it is told to, besides an empty state and absent, and denies any
// other the way KubeVirt's admitter does: one cause at the interface's state. That is all
// KubeVirt decides that matters to linkstate-webhook: which spellings the cluster speaks.
// Namespaces labelled NoKubeVirtLabel are left alone, for tests that need to see
// linkstate-webhook's own verdict on its own.
type KubeVirtStandIn struct {
	accepts atomic.Pointer[map[string]bool]
	server  *http.Server
	client  client.Client
	config  *admissionregistrationv1.ValidatingWebhookConfiguration
	// Calls counts the VMs judged.
	Calls atomic.Int64
}

// NoKubeVirtLabel marks namespaces the stand-in does not judge.
const NoKubeVirtLabel = "test.linkstate.kubevirt.io/no-kubevirt"

// StartKubeVirtStandIn serves the stand-in over TLS with the pair in certDir (which caData
// must have signed, for 127.0.0.1) and registers it with the API server of cfg. It accepts
// the given spellings until told otherwise (Accept).
func StartKubeVirtStandIn(cfg *rest.Config, certDir string, caData []byte, accepts ...string) (*KubeVirtStandIn, error) {
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, err
	}
	k := &KubeVirtStandIn{client: c}
	k.Accept(accepts...)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	k.server = &http.Server{Handler: k, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		_ = k.server.ServeTLS(listener, filepath.Join(certDir, "tls.crt"), filepath.Join(certDir, "tls.key"))
	}()

	url := "https://" + listener.Addr().String() + "/"
	k.config = &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "test-kubevirt-stand-in"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "virtualmachine-validator.test.kubevirt.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caData},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{"kubevirt.io"}, APIVersions: []string{"v1"}, Resources: []string{"virtualmachines"}},
			}},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: NoKubeVirtLabel, Operator: metav1.LabelSelectorOpDoesNotExist},
			}},
		}},
	}
	if err := c.Create(context.Background(), k.config); err != nil {
		_ = k.server.Close()
		return nil, fmt.Errorf("registering the KubeVirt stand-in: %w", err)
	}
	return k, nil
}

// Accept sets the spellings accepted from now on (none: KubeVirt before link state).
func (k *KubeVirtStandIn) Accept(spellings ...string) {
	m := map[string]bool{"": true, "absent": true}
	for _, s := range spellings {
		m[s] = true
	}
	k.accepts.Store(&m)
}

// Stop unregisters the stand-in and stops serving.
func (k *KubeVirtStandIn) Stop() error {
	err := k.client.Delete(context.Background(), k.config)
	if apierrors.IsNotFound(err) {
		err = nil
	}
	_ = k.server.Close()
	return err
}

var interfacesPath = field.NewPath("spec", "template", "spec", "domain", "devices", "interfaces")

func (k *KubeVirtStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	k.Calls.Add(1)
	var vm struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Template struct {
				Spec struct {
					Domain struct {
						Devices struct {
							Interfaces []struct {
								Name  string `json:"name"`
								State string `json:"state"`
							} `json:"interfaces"`
						} `json:"devices"`
					} `json:"domain"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	if err := json.Unmarshal(review.Request.Object.Raw, &vm); err != nil {
		resp.Allowed, resp.Result = false, &metav1.Status{Code: 400, Message: err.Error()}
	}
	accepts := *k.accepts.Load()
	var errs field.ErrorList
	for i, iface := range vm.Spec.Template.Spec.Domain.Devices.Interfaces {
		if !accepts[iface.State] {
			errs = append(errs, field.Invalid(interfacesPath.Index(i).Child("state"), iface.State,
				fmt.Sprintf("logical %s interface state value is unsupported: %s", iface.Name, iface.State)))
		}
	}
	if len(errs) > 0 {
		status := apierrors.NewInvalid(schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachine"}, vm.Metadata.Name, errs).ErrStatus
		resp.Allowed, resp.Result = false, &status
	}
	review.Response, review.Request = resp, nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(review)
}

// StartKubeVirtStandIn is the stand-in on this environment's API server and certificate.
func (e *Env) StartKubeVirtStandIn(accepts ...string) (*KubeVirtStandIn, error) {
	w := e.Env.WebhookInstallOptions
	return StartKubeVirtStandIn(e.Config, w.LocalServingCertDir, w.LocalServingCAData, accepts...)
}
