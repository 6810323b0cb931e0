package chart

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// install runs `helm install` into the shared API server and returns helm's output (the
// rendered NOTES). helm fails unless the API server accepts every object. The
// LinkStatePolicy CRD is the cluster's already (one CRD, several releases): the releases
// leave it alone, as the chart's crds.install=false is for.
func install(t *testing.T, c *cluster, release, namespace, values string) string {
	t.Helper()
	return c.helm(t, "install", release, chartDir, "--namespace", namespace, "--create-namespace",
		"-f", valuesFile(t, values), "--set", "crds.install=false")
}

func upgrade(t *testing.T, c *cluster, release, namespace, values string) {
	t.Helper()
	c.helm(t, "upgrade", release, chartDir, "--namespace", namespace, "-f", valuesFile(t, values), "--set", "crds.install=false")
}

// assertReleaseStored reads back every object of the release. Custom resources must be
// stored exactly as rendered: a field that cert-manager's or the Prometheus Operator's
// schema does not know would be pruned silently, and the certificate or the scrape would
// not be what the chart meant.
func assertReleaseStored(t *testing.T, c *cluster, release, namespace string) objects {
	t.Helper()
	manifest := c.helm(t, "get", "manifest", release, "--namespace", namespace)
	rendered, err := parseObjects(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if len(rendered) == 0 {
		t.Fatalf("release %s has no objects", release)
	}
	for _, o := range rendered {
		stored := c.getObject(t, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		switch o.GroupVersionKind().Group {
		case "cert-manager.io", "monitoring.coreos.com":
			if diff := cmp.Diff(o.Object["spec"], stored.Object["spec"]); diff != "" {
				t.Errorf("%s %s: the API server stored another spec than the chart rendered (-rendered +stored):\n%s",
					o.GetKind(), o.GetName(), diff)
			}
		}
	}
	return rendered
}

// assertUninstallRemoves checks that `helm uninstall` leaves no webhook behind: a webhook
// configuration without its pods would fail every VM create in the cluster. What the chart
// keeps on purpose (the OpenReports CRDs: deleting one deletes every Report) stays.
func assertUninstallRemoves(t *testing.T, c *cluster, release, namespace string, rendered objects) {
	t.Helper()
	c.helm(t, "uninstall", release, "--namespace", namespace)
	for _, o := range rendered {
		if o.GetAnnotations()["helm.sh/resource-policy"] == "keep" {
			c.getObject(t, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
			continue
		}
		c.waitGone(t, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
	}
}

func TestInstallWithCertManager(t *testing.T) {
	c := apiServer(t)
	const release, namespace = "cm", "lw-cert-manager"
	notes := install(t, c, release, namespace, "metrics: {serviceMonitor: {enabled: true, labels: {release: prometheus}}}")
	rendered := assertReleaseStored(t, c, release, namespace)

	for _, kind := range []string{"Issuer", "Certificate", "ServiceMonitor", "PodDisruptionBudget", "Deployment",
		"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ClusterRole", "ClusterRoleBinding"} {
		if len(rendered.ofKind(kind)) == 0 {
			t.Errorf("the release has no %s", kind)
		}
	}
	mutating := get[admissionregistrationv1.MutatingWebhookConfiguration](t, c, "", "cm-linkstate-webhook-mutating")
	validating := get[admissionregistrationv1.ValidatingWebhookConfiguration](t, c, "", "cm-linkstate-webhook-validating")
	wantInjection := "lw-cert-manager/cm-linkstate-webhook-serving-cert"
	for _, meta := range []metav1.ObjectMeta{mutating.ObjectMeta, validating.ObjectMeta} {
		if got := meta.Annotations[injectCAAnnotation]; got != wantInjection {
			t.Errorf("%s: %s=%q, want %q", meta.Name, injectCAAnnotation, got, wantInjection)
		}
	}
	if n := len(mutating.Webhooks) + len(validating.Webhooks); n != len(servedPaths) {
		t.Errorf("%d webhooks stored, want %d", n, len(servedPaths))
	}
	serving := c.getObject(t, schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "Certificate"}, namespace, "cm-linkstate-webhook-serving-cert")
	assertField(t, serving, []string{"cm-linkstate-webhook.lw-cert-manager.svc", "cm-linkstate-webhook.lw-cert-manager.svc.cluster.local"}, "spec", "dnsNames")

	for _, next := range []string{
		"rollout status deployment/cm-linkstate-webhook",
		"helm test cm -n lw-cert-manager",
		"kubectl label namespace NAME linkstate.kubevirt.io/webhook=disabled",
		"port-forward service/cm-linkstate-webhook-metrics 8080",
		"state: linkDown",
	} {
		if !strings.Contains(notes, next) {
			t.Errorf("NOTES do not suggest %q:\n%s", next, notes)
		}
	}
	assertUninstallRemoves(t, c, release, namespace, rendered)
}

// Without cert-manager, Helm generates the CA and certificate once; upgrades keep them, so
// the caBundle the API server trusts never changes under running pods. Deleting the Secret
// and upgrading is the documented way to rotate them.
func TestInstallWithHelmGeneratedTLSThenUpgrade(t *testing.T) {
	c := apiServer(t)
	const release, namespace = "gen", "lw-generated"
	dnsNames := []string{"gen-linkstate-webhook.lw-generated.svc", "gen-linkstate-webhook.lw-generated.svc.cluster.local"}
	install(t, c, release, namespace, "tls: {mode: helm}")
	assertReleaseStored(t, c, release, namespace)

	installed := get[corev1.Secret](t, c, namespace, "gen-linkstate-webhook-tls")
	verifyServingCertificate(t, installed.Data["ca.crt"], installed.Data["tls.crt"], installed.Data["tls.key"], dnsNames)
	assertCABundles(t, c, "gen-linkstate-webhook", installed.Data["ca.crt"])

	upgrade(t, c, release, namespace, "{tls: {mode: helm}, logLevel: debug}")
	upgraded := get[corev1.Secret](t, c, namespace, "gen-linkstate-webhook-tls")
	if diff := cmp.Diff(installed.Data, upgraded.Data); diff != "" {
		t.Errorf("helm upgrade changed the serving Secret (-before +after):\n%s", diff)
	}
	assertCABundles(t, c, "gen-linkstate-webhook", installed.Data["ca.crt"])
	// The upgrade did apply: the new value reached the Deployment.
	deployment := get[appsv1.Deployment](t, c, namespace, "gen-linkstate-webhook")
	if args := deployment.Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, "--zap-log-level=debug") {
		t.Errorf("after the upgrade the args are %v, want --zap-log-level=debug", args)
	}

	// Rotation: with the Secret gone, the next upgrade issues a new CA and trusts it.
	if err := c.client.Delete(context.Background(), upgraded); err != nil {
		t.Fatal(err)
	}
	c.waitGone(t, corev1.SchemeGroupVersion.WithKind("Secret"), namespace, upgraded.Name)
	upgrade(t, c, release, namespace, "{tls: {mode: helm}, logLevel: debug}")
	rotated := get[corev1.Secret](t, c, namespace, "gen-linkstate-webhook-tls")
	if string(rotated.Data["ca.crt"]) == string(installed.Data["ca.crt"]) {
		t.Error("after deleting the Secret, helm upgrade kept the old CA")
	}
	verifyServingCertificate(t, rotated.Data["ca.crt"], rotated.Data["tls.crt"], rotated.Data["tls.key"], dnsNames)
	assertCABundles(t, c, "gen-linkstate-webhook", rotated.Data["ca.crt"])
	// Every release guards the opt-out label for its own identities: leave none behind.
	c.helm(t, "uninstall", release, "--namespace", namespace)
}

func TestInstallWithTheUsersSecret(t *testing.T) {
	c := apiServer(t)
	const release, namespace = "byo", "lw-byo"
	userPKI := issueServingPKI(t, "byo-linkstate-webhook.lw-byo.svc")
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "corp-tls", Namespace: namespace},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": userPKI.certPEM, "tls.key": userPKI.keyPEM},
	}
	if err := c.client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	if err := c.client.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	install(t, c, release, namespace, fmt.Sprintf("tls: {mode: secret, secret: {name: corp-tls, caBundle: %s}}",
		base64.StdEncoding.EncodeToString(userPKI.caPEM)))
	rendered := assertReleaseStored(t, c, release, namespace)
	assertCABundles(t, c, "byo-linkstate-webhook", userPKI.caPEM)
	deployment := get[appsv1.Deployment](t, c, namespace, "byo-linkstate-webhook")
	for _, v := range deployment.Spec.Template.Spec.Volumes {
		if v.Name == "serving-cert" && (v.Secret == nil || v.Secret.SecretName != "corp-tls") {
			t.Errorf("serving-cert volume %+v, want the user's Secret corp-tls", v.VolumeSource)
		}
	}
	assertUninstallRemoves(t, c, release, namespace, rendered)
	// The user's Secret is theirs: uninstalling the chart leaves it.
	get[corev1.Secret](t, c, namespace, "corp-tls")
}

// The ClusterRole the API server stored grants what the webhook needs and no more.
func TestInstalledRBAC(t *testing.T) {
	c := apiServer(t)
	const release, namespace = "rbac", "lw-rbac"
	install(t, c, release, namespace, "")
	role := get[rbacv1.ClusterRole](t, c, "", "rbac-linkstate-webhook")
	if diff := cmp.Diff(auditClusterRules, role.Rules); diff != "" {
		t.Errorf("stored ClusterRole rules (-want +got):\n%s", diff)
	}
	lease := get[rbacv1.Role](t, c, namespace, "rbac-linkstate-webhook-audit")
	if diff := cmp.Diff(auditLeaseRules("rbac-linkstate-webhook-audit"), lease.Rules); diff != "" {
		t.Errorf("stored audit Role rules (-want +got):\n%s", diff)
	}
	c.helm(t, "uninstall", release, "--namespace", namespace)
}

// assertCABundles checks every webhook the API server stored for the release trusts caPEM.
func assertCABundles(t *testing.T, c *cluster, fullname string, caPEM []byte) {
	t.Helper()
	mutating := get[admissionregistrationv1.MutatingWebhookConfiguration](t, c, "", fullname+"-mutating")
	validating := get[admissionregistrationv1.ValidatingWebhookConfiguration](t, c, "", fullname+"-validating")
	bundles := map[string][]byte{}
	for _, w := range mutating.Webhooks {
		bundles[w.Name] = w.ClientConfig.CABundle
	}
	for _, w := range validating.Webhooks {
		bundles[w.Name] = w.ClientConfig.CABundle
	}
	if len(bundles) != len(servedPaths) {
		t.Errorf("%d webhooks stored, want %d", len(bundles), len(servedPaths))
	}
	for name, bundle := range bundles {
		if string(bundle) != string(caPEM) {
			t.Errorf("webhook %s: the stored caBundle is not the expected CA", name)
		}
	}
}
