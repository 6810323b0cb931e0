package chart

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// servedPaths are the paths the webhook binary serves.
var servedPaths = []string{
	server.PathMutateVM, server.PathMutateVMI, server.PathMutateVMIM,
	server.PathValidateVM, server.PathValidateVMI, server.PathValidateVMIM,
}

const injectCAAnnotation = "cert-manager.io/inject-ca-from"

// tlsModeValues selects each TLS mode; tests that hold in every mode run over them all.
func tlsModeValues(t *testing.T) map[string]string {
	userPKI := issueServingPKI(t, "x.example")
	return map[string]string{
		"certManager":                "",
		"certManager with issuerRef": "tls: {certManager: {issuerRef: {name: corporate-ca, kind: ClusterIssuer}}}",
		"helm":                       "tls: {mode: helm}",
		"secret": fmt.Sprintf("tls: {mode: secret, secret: {name: my-webhook-tls, caBundle: %s}}",
			base64.StdEncoding.EncodeToString(userPKI.caPEM)),
	}
}

func TestLintStrict(t *testing.T) {
	cases := tlsModeValues(t)
	cases["every option"] = `
supportedPlugins: [vendor-a]
unsupportedPlugins: [vendor-b]
unknownPlugins: deny
dialect: upstream
passtBinding: warn
logLevel: 2
extraArgs: [--zap-encoder=console]
migrations: {vmiLookupTimeout: 1s, lookupFailure: deny, exempt: [system:serviceaccount:openshift-cnv:kubevirt-handler]}
namespaceSelector: {matchLabels: {team: vms}}
objectSelector: {matchExpressions: [{key: skip-linkstate, operator: DoesNotExist}]}
metrics: {serviceMonitor: {enabled: true, labels: {release: prometheus}}}
priorityClassName: system-cluster-critical
image: {digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
`
	for name, values := range cases {
		t.Run(name, func(t *testing.T) {
			// --strict turns lint warnings (deprecated APIs, template and schema problems) into failures.
			if out, err := runHelm(t, "lint", "--strict", chartDir, "-f", valuesFile(t, values)); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}

// The chart installed as release linkstate-webhook in linkstate-webhook-system must register
// exactly the webhooks config/webhook ships: names, paths, rules, operations, selectors,
// matchConditions, policies and the CA-injection annotation.
func TestWebhooksMatchShippedConfig(t *testing.T) {
	objs := render(t, shippedRelease, shippedNamespace, "")
	mutating, validating := webhookConfigurations(t, objs)
	shippedMutating, shippedValidating, err := harness.ReadShippedWebhooks()
	if err != nil {
		t.Fatal(err)
	}
	if len(shippedMutating) != 1 || len(shippedValidating) != 1 {
		t.Fatalf("config/webhook ships %d mutating and %d validating configurations; this test compares one of each",
			len(shippedMutating), len(shippedValidating))
	}
	compare := func(kind, name, shippedName string, annotations, shippedAnnotations map[string]string, webhooks, shippedWebhooks any) {
		if name != shippedName {
			t.Errorf("%s: chart names it %q, config/webhook %q", kind, name, shippedName)
		}
		if annotations[injectCAAnnotation] != shippedAnnotations[injectCAAnnotation] {
			t.Errorf("%s: %s is %q in the chart, %q in config/webhook", kind, injectCAAnnotation,
				annotations[injectCAAnnotation], shippedAnnotations[injectCAAnnotation])
		}
		if diff := cmp.Diff(shippedWebhooks, webhooks); diff != "" {
			t.Errorf("%s webhooks differ from config/webhook (-config/webhook +chart):\n%s", kind, diff)
		}
	}
	compare("MutatingWebhookConfiguration", mutating.Name, shippedMutating[0].Name,
		mutating.Annotations, shippedMutating[0].Annotations, mutating.Webhooks, shippedMutating[0].Webhooks)
	compare("ValidatingWebhookConfiguration", validating.Name, shippedValidating[0].Name,
		validating.Annotations, shippedValidating[0].Annotations, validating.Webhooks, shippedValidating[0].Webhooks)
}

func TestWebhookPathsAreTheServedPaths(t *testing.T) {
	for mode, values := range tlsModeValues(t) {
		t.Run(mode, func(t *testing.T) {
			var paths []string
			for _, w := range allWebhooks(t, render(t, "paths", "paths-ns", values)) {
				if w.clientConfig.Service == nil || w.clientConfig.Service.Path == nil {
					t.Fatalf("webhook %s does not call a service path", w.name)
				}
				paths = append(paths, *w.clientConfig.Service.Path)
				wantPrefix := map[string]string{"mutating": "/mutate-", "validating": "/validate-"}[w.configuration]
				if !strings.HasPrefix(*w.clientConfig.Service.Path, wantPrefix) {
					t.Errorf("%s webhook %s calls %s", w.configuration, w.name, *w.clientConfig.Service.Path)
				}
			}
			slices.Sort(paths)
			want := slices.Sorted(slices.Values(servedPaths))
			if diff := cmp.Diff(want, paths); diff != "" {
				t.Errorf("webhook paths differ from pkg/server's (-served +chart):\n%s", diff)
			}
		})
	}
}

func TestTLSCertManagerWithItsOwnCA(t *testing.T) {
	objs := render(t, "lw", "vm-admission", "")
	for _, w := range allWebhooks(t, objs) {
		if len(w.clientConfig.CABundle) != 0 {
			t.Errorf("webhook %s has a caBundle: cert-manager's cainjector owns it in this mode", w.name)
		}
	}
	for _, c := range objs.ofKind("MutatingWebhookConfiguration") {
		assertInjectsCAFrom(t, c, "vm-admission/lw-linkstate-webhook-serving-cert")
	}
	for _, c := range objs.ofKind("ValidatingWebhookConfiguration") {
		assertInjectsCAFrom(t, c, "vm-admission/lw-linkstate-webhook-serving-cert")
	}

	serving := objs.get(t, "Certificate", "lw-linkstate-webhook-serving-cert")
	assertField(t, serving, []string{"lw-linkstate-webhook.vm-admission.svc", "lw-linkstate-webhook.vm-admission.svc.cluster.local"}, "spec", "dnsNames")
	assertField(t, serving, "lw-linkstate-webhook-tls", "spec", "secretName")
	assertField(t, serving, map[string]any{"group": "cert-manager.io", "kind": "Issuer", "name": "lw-linkstate-webhook-ca"}, "spec", "issuerRef")
	assertField(t, serving, []any{"server auth", "digital signature"}, "spec", "usages")
	assertField(t, serving, "2160h", "spec", "duration")

	// The chain: self-signed Issuer -> CA Certificate -> CA Issuer -> serving Certificate.
	assertField(t, objs.get(t, "Issuer", "lw-linkstate-webhook-selfsigned"), map[string]any{}, "spec", "selfSigned")
	ca := objs.get(t, "Certificate", "lw-linkstate-webhook-ca")
	assertField(t, ca, true, "spec", "isCA")
	assertField(t, ca, "87600h", "spec", "duration")
	assertField(t, ca, map[string]any{"group": "cert-manager.io", "kind": "Issuer", "name": "lw-linkstate-webhook-selfsigned"}, "spec", "issuerRef")
	caSecret, _, _ := unstructured.NestedString(ca.Object, "spec", "secretName")
	assertField(t, objs.get(t, "Issuer", "lw-linkstate-webhook-ca"), caSecret, "spec", "ca", "secretName")

	assertMountsSecret(t, objs, "lw-linkstate-webhook", "lw-linkstate-webhook-tls")
	if s := objs.ofKind("Secret"); len(s) != 0 {
		t.Errorf("cert-manager mode renders Secrets %v: cert-manager writes the serving Secret", s.names())
	}
}

func TestTLSCertManagerWithAnExistingIssuer(t *testing.T) {
	objs := render(t, "lw", "vm-admission", "tls: {certManager: {issuerRef: {name: corporate-ca, kind: ClusterIssuer}}}")
	serving := objs.get(t, "Certificate", "lw-linkstate-webhook-serving-cert")
	assertField(t, serving, map[string]any{"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "corporate-ca"}, "spec", "issuerRef")
	if got := objs.ofKind("Issuer"); len(got) != 0 {
		t.Errorf("with an issuerRef the chart must not create its own issuers, got %v", got.names())
	}
	if got := objs.ofKind("Certificate"); len(got) != 1 {
		t.Errorf("with an issuerRef the chart creates only the serving Certificate, got %v", got.names())
	}
	for _, c := range append(objs.ofKind("MutatingWebhookConfiguration"), objs.ofKind("ValidatingWebhookConfiguration")...) {
		assertInjectsCAFrom(t, c, "vm-admission/lw-linkstate-webhook-serving-cert")
	}
}

func TestTLSGeneratedByHelm(t *testing.T) {
	objs := render(t, "lw", "vm-admission", "tls: {mode: helm, helm: {validityDays: 30}}")
	secret := decode[corev1.Secret](t, objs.get(t, "Secret", "lw-linkstate-webhook-tls"))
	if secret.Type != corev1.SecretTypeTLS {
		t.Errorf("Secret type %q, want %q", secret.Type, corev1.SecretTypeTLS)
	}
	caPEM, certPEM, keyPEM := secret.Data["ca.crt"], secret.Data["tls.crt"], secret.Data["tls.key"]
	cert := verifyServingCertificate(t, caPEM, certPEM, keyPEM,
		[]string{"lw-linkstate-webhook.vm-admission.svc", "lw-linkstate-webhook.vm-admission.svc.cluster.local"})
	if days := time.Until(cert.NotAfter).Hours() / 24; days < 29 || days > 31 {
		t.Errorf("the certificate expires in %.1f days, want 30 (tls.helm.validityDays)", days)
	}
	for _, w := range allWebhooks(t, objs) {
		if string(w.clientConfig.CABundle) != string(caPEM) {
			t.Errorf("webhook %s: caBundle is not the Secret's ca.crt", w.name)
		}
	}
	for _, c := range append(objs.ofKind("MutatingWebhookConfiguration"), objs.ofKind("ValidatingWebhookConfiguration")...) {
		if v, ok := c.GetAnnotations()[injectCAAnnotation]; ok {
			t.Errorf("%s %s asks cert-manager to inject a CA (%s) in helm mode", c.GetKind(), c.GetName(), v)
		}
	}
	if got := append(objs.ofKind("Certificate"), objs.ofKind("Issuer")...); len(got) != 0 {
		t.Errorf("helm mode renders cert-manager objects %v", got.names())
	}
	assertMountsSecret(t, objs, "lw-linkstate-webhook", "lw-linkstate-webhook-tls")
}

func TestTLSFromTheUsersSecret(t *testing.T) {
	userPKI := issueServingPKI(t, "lw-linkstate-webhook.vm-admission.svc")
	caBundle := base64.StdEncoding.EncodeToString(userPKI.caPEM)
	objs := render(t, "lw", "vm-admission", fmt.Sprintf("tls: {mode: secret, secret: {name: corp-tls, caBundle: %s}}", caBundle))
	for _, w := range allWebhooks(t, objs) {
		if string(w.clientConfig.CABundle) != string(userPKI.caPEM) {
			t.Errorf("webhook %s: caBundle is not tls.secret.caBundle", w.name)
		}
	}
	assertMountsSecret(t, objs, "lw-linkstate-webhook", "corp-tls")
	if got := append(append(objs.ofKind("Certificate"), objs.ofKind("Issuer")...), objs.ofKind("Secret")...); len(got) != 0 {
		t.Errorf("secret mode renders %v: the user owns the Secret", got.names())
	}
}

// The namespaces the webhooks see, judged by the rendered selectors as the API server
// would: by the namespace's labels, which always include kubernetes.io/metadata.name.
func TestNamespaceSelector(t *testing.T) {
	namespace := func(name string, extra ...string) labels.Set {
		set := labels.Set{"kubernetes.io/metadata.name": name}
		for i := 0; i+1 < len(extra); i += 2 {
			set[extra[i]] = extra[i+1]
		}
		return set
	}
	cases := map[string]struct {
		values   string
		selected map[string]labels.Set
		skipped  map[string]labels.Set
	}{
		"built in": {
			selected: map[string]labels.Set{
				"an ordinary namespace":      namespace("vms"),
				"webhook label not disabled": namespace("vms", "linkstate.kubevirt.io/webhook", "enabled"),
			},
			skipped: map[string]labels.Set{
				"kube-system":                  namespace("kube-system"),
				"the release namespace":        namespace("vm-admission"),
				"opted out with the label":     namespace("vms", "linkstate.kubevirt.io/webhook", "disabled"),
				"opted out, with other labels": namespace("vms", "team", "a", "linkstate.kubevirt.io/webhook", "disabled"),
			},
		},
		"extra selector is added to the built-in one": {
			values: `namespaceSelector: {matchLabels: {team: a}, matchExpressions: [{key: env, operator: NotIn, values: [scratch]}]}`,
			selected: map[string]labels.Set{
				"matching namespace": namespace("vms", "team", "a"),
			},
			skipped: map[string]labels.Set{
				"no team label":                     namespace("vms"),
				"excluded by the extra expression":  namespace("vms", "team", "a", "env", "scratch"),
				"kube-system even if it matches":    namespace("kube-system", "team", "a"),
				"release namespace even if matches": namespace("vm-admission", "team", "a"),
				"opted out even if it matches":      namespace("vms", "team", "a", "linkstate.kubevirt.io/webhook", "disabled"),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, w := range allWebhooks(t, render(t, "lw", "vm-admission", tc.values)) {
				selector, err := metav1.LabelSelectorAsSelector(w.namespaceSelector)
				if err != nil {
					t.Fatalf("webhook %s: %v", w.name, err)
				}
				for what, ns := range tc.selected {
					if !selector.Matches(ns) {
						t.Errorf("webhook %s skips %s %v (selector %s)", w.name, what, ns, selector)
					}
				}
				for what, ns := range tc.skipped {
					if selector.Matches(ns) {
						t.Errorf("webhook %s selects %s %v (selector %s)", w.name, what, ns, selector)
					}
				}
			}
		})
	}
}

func TestObjectSelector(t *testing.T) {
	for _, w := range allWebhooks(t, render(t, "lw", "vm-admission", "")) {
		if w.objectSelector != nil {
			t.Errorf("webhook %s has an objectSelector by default: %v", w.name, w.objectSelector)
		}
	}
	want := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "linkstate.example.com/skip", Operator: metav1.LabelSelectorOpDoesNotExist},
	}}
	objs := render(t, "lw", "vm-admission", "objectSelector: {matchExpressions: [{key: linkstate.example.com/skip, operator: DoesNotExist}]}")
	for _, w := range allWebhooks(t, objs) {
		if diff := cmp.Diff(want, w.objectSelector); diff != "" {
			t.Errorf("webhook %s objectSelector (-want +got):\n%s", w.name, diff)
		}
	}
}

func TestFailurePolicyAndTimeout(t *testing.T) {
	cases := map[string]struct {
		values  string
		policy  admissionregistrationv1.FailurePolicyType
		timeout int32
	}{
		"defaults":    {policy: admissionregistrationv1.Fail, timeout: 5},
		"from values": {values: "{failurePolicy: Ignore, timeoutSeconds: 12}", policy: admissionregistrationv1.Ignore, timeout: 12},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, w := range allWebhooks(t, render(t, "lw", "vm-admission", tc.values)) {
				if w.failurePolicy == nil || *w.failurePolicy != tc.policy {
					t.Errorf("webhook %s: failurePolicy %v, want %s", w.name, w.failurePolicy, tc.policy)
				}
				if w.timeoutSeconds == nil || *w.timeoutSeconds != tc.timeout {
					t.Errorf("webhook %s: timeoutSeconds %v, want %d", w.name, w.timeoutSeconds, tc.timeout)
				}
			}
		})
	}
}

func TestDeploymentDefaults(t *testing.T) {
	objs := render(t, "lw", "vm-admission", "")
	deployment := decode[appsv1.Deployment](t, objs.get(t, "Deployment", "lw-linkstate-webhook"))
	pod := deployment.Spec.Template.Spec
	if deployment.Spec.Replicas == nil || *deployment.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", deployment.Spec.Replicas)
	}
	if u := deployment.Spec.Strategy.RollingUpdate; u == nil || u.MaxUnavailable.String() != "0" {
		t.Errorf("rolling update %+v: want maxUnavailable 0, so a rollout never removes a serving replica first", u)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	container := pod.Containers[0]

	wantPodSecurity := &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr(true),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if diff := cmp.Diff(wantPodSecurity, pod.SecurityContext); diff != "" {
		t.Errorf("pod securityContext (-want +got):\n%s", diff)
	}
	wantSecurity := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr(false),
		ReadOnlyRootFilesystem:   ptr(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	if diff := cmp.Diff(wantSecurity, container.SecurityContext); diff != "" {
		t.Errorf("container securityContext (-want +got):\n%s", diff)
	}

	// The probes reach the health server the flags start, on the paths it serves.
	healthPort := containerPort(t, container, "health")
	if !slices.Contains(container.Args, fmt.Sprintf("--health-probe-bind-address=:%d", healthPort)) {
		t.Errorf("args %v do not bind the health server to the health port %d", container.Args, healthPort)
	}
	for probe, want := range map[string]struct {
		got  *corev1.Probe
		path string
	}{"liveness": {container.LivenessProbe, "/healthz"}, "readiness": {container.ReadinessProbe, "/readyz"}} {
		if want.got == nil || want.got.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", probe)
			continue
		}
		if want.got.HTTPGet.Path != want.path || want.got.HTTPGet.Port != intstr.FromString("health") {
			t.Errorf("%s probe: GET %s on port %s, want %s on port health", probe, want.got.HTTPGet.Path, want.got.HTTPGet.Port.String(), want.path)
		}
	}
	if !slices.Contains(container.Args, fmt.Sprintf("--port=%d", containerPort(t, container, "webhook"))) {
		t.Errorf("args %v do not serve the webhooks on the webhook port", container.Args)
	}
	if !slices.Contains(container.Args, fmt.Sprintf("--metrics-bind-address=:%d", containerPort(t, container, "metrics"))) {
		t.Errorf("args %v do not serve metrics on the metrics port", container.Args)
	}

	// The serving certificate is mounted read-only where --cert-dir points.
	mount := volumeMount(t, container, "serving-cert")
	if !mount.ReadOnly || !slices.Contains(container.Args, "--cert-dir="+mount.MountPath) {
		t.Errorf("serving-cert mounted at %s (read-only: %v); args %v", mount.MountPath, mount.ReadOnly, container.Args)
	}

	if got := container.Resources.Requests.Cpu().String(); got != "50m" {
		t.Errorf("cpu request %s, want 50m", got)
	}
	if got := container.Resources.Limits.Memory().String(); got != "256Mi" {
		t.Errorf("memory limit %s, want 256Mi", got)
	}
	if _, ok := container.Resources.Limits[corev1.ResourceCPU]; ok {
		t.Error("a CPU limit is set: throttling would delay every VM create")
	}
	if container.Lifecycle == nil || container.Lifecycle.PreStop == nil || container.Lifecycle.PreStop.Sleep == nil ||
		container.Lifecycle.PreStop.Sleep.Seconds != 5 {
		t.Errorf("lifecycle %+v, want a 5 s preStop sleep", container.Lifecycle)
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds != 45 {
		t.Errorf("terminationGracePeriodSeconds %v, want 45 (5 s preStop + 5 s drain + 30 s shutdown + 5 s)", pod.TerminationGracePeriodSeconds)
	}

	var keys []string
	for _, c := range pod.TopologySpreadConstraints {
		keys = append(keys, c.TopologyKey)
		if c.WhenUnsatisfiable != corev1.ScheduleAnyway || c.MaxSkew != 1 {
			t.Errorf("spread over %s: %s with maxSkew %d, want ScheduleAnyway with 1", c.TopologyKey, c.WhenUnsatisfiable, c.MaxSkew)
		}
		if !slices.Equal(c.MatchLabelKeys, []string{"pod-template-hash"}) {
			t.Errorf("spread over %s: matchLabelKeys %v, want [pod-template-hash]", c.TopologyKey, c.MatchLabelKeys)
		}
	}
	if want := []string{"kubernetes.io/hostname", "topology.kubernetes.io/zone"}; !slices.Equal(keys, want) {
		t.Errorf("spread over %v, want %v", keys, want)
	}

	pdb := decode[policyv1.PodDisruptionBudget](t, objs.get(t, "PodDisruptionBudget", "lw-linkstate-webhook"))
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.String() != "1" || pdb.Spec.MinAvailable != nil {
		t.Errorf("PodDisruptionBudget maxUnavailable %v minAvailable %v, want maxUnavailable 1 only", pdb.Spec.MaxUnavailable, pdb.Spec.MinAvailable)
	}
	if got := render(t, "lw", "vm-admission", "podDisruptionBudget: {enabled: false}").find("PodDisruptionBudget", "lw-linkstate-webhook"); got != nil {
		t.Error("podDisruptionBudget.enabled=false still renders a PodDisruptionBudget")
	}
}

// Every selector that must find the webhook pods does, and the Services send traffic to
// ports the container has.
func TestSelectorsFindThePods(t *testing.T) {
	objs := render(t, "lw", "vm-admission", "metrics: {serviceMonitor: {enabled: true}}")
	deployment := decode[appsv1.Deployment](t, objs.get(t, "Deployment", "lw-linkstate-webhook"))
	podLabels := labels.Set(deployment.Spec.Template.Labels)
	container := deployment.Spec.Template.Spec.Containers[0]

	selects := func(what string, selector *metav1.LabelSelector) {
		t.Helper()
		s, err := metav1.LabelSelectorAsSelector(selector)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if s.Empty() || !s.Matches(podLabels) {
			t.Errorf("%s selector %q does not select the pods %v", what, s, podLabels)
		}
	}
	selects("Deployment", deployment.Spec.Selector)
	selects("PodDisruptionBudget", decode[policyv1.PodDisruptionBudget](t, objs.get(t, "PodDisruptionBudget", "lw-linkstate-webhook")).Spec.Selector)
	for _, c := range deployment.Spec.Template.Spec.TopologySpreadConstraints {
		selects("topology spread over "+c.TopologyKey, c.LabelSelector)
	}

	webhookService := decode[corev1.Service](t, objs.get(t, "Service", "lw-linkstate-webhook"))
	metricsService := decode[corev1.Service](t, objs.get(t, "Service", "lw-linkstate-webhook-metrics"))
	for _, svc := range []*corev1.Service{webhookService, metricsService} {
		selects("Service "+svc.Name, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector})
		for _, p := range svc.Spec.Ports {
			containerPort(t, container, p.TargetPort.String())
		}
	}
	if p := webhookService.Spec.Ports; len(p) != 1 || p[0].Port != 443 {
		t.Errorf("webhook Service ports %+v, want one on 443 (what the webhook configurations call)", p)
	}
	for _, w := range allWebhooks(t, objs) {
		if s := w.clientConfig.Service; s.Name != webhookService.Name || s.Namespace != "vm-admission" {
			t.Errorf("webhook %s calls Service %s/%s, want vm-admission/%s", w.name, s.Namespace, s.Name, webhookService.Name)
		}
	}

	// The ServiceMonitor finds the metrics Service, and only it.
	monitor := objs.get(t, "ServiceMonitor", "lw-linkstate-webhook")
	matchLabels, _, _ := unstructured.NestedStringMap(monitor.Object, "spec", "selector", "matchLabels")
	monitorSelector := labels.SelectorFromSet(matchLabels)
	if !monitorSelector.Matches(labels.Set(metricsService.Labels)) {
		t.Errorf("ServiceMonitor selector %s misses the metrics Service %v", monitorSelector, metricsService.Labels)
	}
	if monitorSelector.Matches(labels.Set(webhookService.Labels)) {
		t.Errorf("ServiceMonitor selector %s also selects the webhook Service", monitorSelector)
	}
	assertField(t, monitor, []any{map[string]any{
		"port": metricsService.Spec.Ports[0].Name, "path": "/metrics", "scheme": "http", "interval": "30s", "scrapeTimeout": "10s",
	}}, "spec", "endpoints")
}

func TestServiceMonitorIsOptional(t *testing.T) {
	if got := render(t, "lw", "vm-admission", "").ofKind("ServiceMonitor"); len(got) != 0 {
		t.Errorf("a ServiceMonitor is rendered by default: %v (clusters without the Prometheus Operator would reject it)", got.names())
	}
	monitor := render(t, "lw", "vm-admission", "metrics: {serviceMonitor: {enabled: true, labels: {release: prometheus}}}").
		get(t, "ServiceMonitor", "lw-linkstate-webhook")
	if monitor.GetAPIVersion() != "monitoring.coreos.com/v1" || monitor.GetLabels()["release"] != "prometheus" {
		t.Errorf("ServiceMonitor %s with labels %v, want monitoring.coreos.com/v1 with release=prometheus", monitor.GetAPIVersion(), monitor.GetLabels())
	}
	_, err := template(t, "lw", "vm-admission", "metrics: {enabled: false, serviceMonitor: {enabled: true}}")
	if err == nil || !strings.Contains(err.Error(), "metrics.serviceMonitor.enabled needs metrics.enabled") {
		t.Errorf("a ServiceMonitor without metrics: got %v, want the chart to refuse", err)
	}
}

// wantRBACRules is all the webhook may do without the audit: get the VMI a migration
// names; watch LinkStatePolicies and write their status; watch namespaces (their labels).
var wantRBACRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"kubevirt.io"}, Resources: []string{"virtualmachineinstances"}, Verbs: []string{"get"}},
	{APIGroups: []string{"linkstate.kubevirt.io"}, Resources: []string{"linkstatepolicies"}, Verbs: []string{"list", "watch"}},
	{APIGroups: []string{"linkstate.kubevirt.io"}, Resources: []string{"linkstatepolicies/status"}, Verbs: []string{"update"}},
	{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"list", "watch"}},
}

// auditClusterRules is what it may do with the audit (the default): also list and watch
// VMs and VMIs, write Reports and patch the policies' status with their violations (its
// Lease is in a Role of its own namespace).
var auditClusterRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"kubevirt.io"}, Resources: []string{"virtualmachineinstances"}, Verbs: []string{"get", "list", "watch"}},
	wantRBACRules[1],
	{APIGroups: []string{"linkstate.kubevirt.io"}, Resources: []string{"linkstatepolicies/status"}, Verbs: []string{"update", "patch"}},
	wantRBACRules[3],
	{APIGroups: []string{"kubevirt.io"}, Resources: []string{"virtualmachines"}, Verbs: []string{"list", "watch"}},
	{APIGroups: []string{"openreports.io"}, Resources: []string{"reports"}, Verbs: []string{"list", "create", "patch", "delete"}},
}

func auditLeaseRules(lease string) []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{lease}, Verbs: []string{"get", "update"}},
	}
}

func TestRBACAllowsWhatTheWebhookDoes(t *testing.T) {
	objs := render(t, "lw", "vm-admission", "")
	role := decode[rbacv1.ClusterRole](t, objs.get(t, "ClusterRole", "lw-linkstate-webhook"))
	if diff := cmp.Diff(auditClusterRules, role.Rules); diff != "" {
		t.Errorf("ClusterRole rules (-want +got):\n%s", diff)
	}
	leaseRole := decode[rbacv1.Role](t, objs.get(t, "Role", "lw-linkstate-webhook-audit"))
	if diff := cmp.Diff(auditLeaseRules("lw-linkstate-webhook-audit"), leaseRole.Rules); diff != "" {
		t.Errorf("audit Role rules (-want +got):\n%s", diff)
	}
	leaseBinding := decode[rbacv1.RoleBinding](t, objs.get(t, "RoleBinding", "lw-linkstate-webhook-audit"))
	if leaseBinding.RoleRef.Name != leaseRole.Name || len(leaseBinding.Subjects) != 1 || leaseBinding.Subjects[0].Name != "lw-linkstate-webhook" {
		t.Errorf("audit RoleBinding %+v %+v", leaseBinding.RoleRef, leaseBinding.Subjects)
	}
	// The Lease the binary campaigns for is the one the Role names.
	args := decode[appsv1.Deployment](t, objs.get(t, "Deployment", "lw-linkstate-webhook")).Spec.Template.Spec.Containers[0].Args
	if !slices.Contains(args, "--leader-election-id=lw-linkstate-webhook-audit") {
		t.Errorf("args %v do not name the Lease lw-linkstate-webhook-audit", args)
	}

	// Without the audit: the migrations' VMI reads and the policies.
	quiet := render(t, "lw", "vm-admission", "audit: {enabled: false}")
	role = decode[rbacv1.ClusterRole](t, quiet.get(t, "ClusterRole", "lw-linkstate-webhook"))
	if diff := cmp.Diff(wantRBACRules, role.Rules); diff != "" {
		t.Errorf("ClusterRole rules without the audit (-want +got):\n%s", diff)
	}
	for _, kind := range []string{"Role", "RoleBinding"} {
		if quiet.find(kind, "lw-linkstate-webhook-audit") != nil {
			t.Errorf("audit off still renders the audit's %s", kind)
		}
	}
	if crds := reportCRDs(quiet); len(crds) != 0 {
		t.Errorf("audit off still renders %v", crds.names())
	}
	binding := decode[rbacv1.ClusterRoleBinding](t, objs.get(t, "ClusterRoleBinding", "lw-linkstate-webhook"))
	account := objs.get(t, "ServiceAccount", "lw-linkstate-webhook")
	deployment := decode[appsv1.Deployment](t, objs.get(t, "Deployment", "lw-linkstate-webhook"))
	wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: account.GetName(), Namespace: "vm-admission"}}
	if diff := cmp.Diff(wantSubjects, binding.Subjects); diff != "" {
		t.Errorf("ClusterRoleBinding subjects (-want +got):\n%s", diff)
	}
	if binding.RoleRef.Name != role.Name || deployment.Spec.Template.Spec.ServiceAccountName != account.GetName() {
		t.Errorf("binding refers to %q, pods run as %q; want %q and %q", binding.RoleRef.Name,
			deployment.Spec.Template.Spec.ServiceAccountName, role.Name, account.GetName())
	}

	objs = render(t, "lw", "vm-admission", "serviceAccount: {create: false, name: platform-webhooks}")
	if objs.find("ServiceAccount", "platform-webhooks") != nil || objs.find("ServiceAccount", "lw-linkstate-webhook") != nil {
		t.Error("serviceAccount.create=false still renders a ServiceAccount")
	}
	if got := decode[appsv1.Deployment](t, objs.get(t, "Deployment", "lw-linkstate-webhook")).Spec.Template.Spec.ServiceAccountName; got != "platform-webhooks" {
		t.Errorf("pods run as %q, want the existing platform-webhooks", got)
	}
}

func TestArgsReflectValues(t *testing.T) {
	defaults := []string{
		"serve",
		"--cert-dir=/tmp/k8s-webhook-server/serving-certs",
		"--port=9443",
		"--health-probe-bind-address=:8081",
		"--metrics-bind-address=:8080",
		"--shutdown-delay=5s",
		"--shutdown-timeout=30s",
		"--dialect=auto",
		"--dialect-fallback=seed",
		"--dialect-probe-interval=10m",
		"--dialect-probe-timeout=10s",
		"--passt-binding=deny",
		"--unknown-plugins=warn",
		"--vmi-lookup-timeout=2s",
		"--migration-lookup-failure=warn",
		"--audit",
		"--audit-interval=1h",
		"--audit-workers=2",
		"--audit-qps=50",
		"--leader-election-id=lw-linkstate-webhook-audit",
		"--leader-election-lease-duration=15s",
		"--leader-election-renew-deadline=10s",
		"--leader-election-retry-period=2s",
		"--zap-log-level=info",
	}
	// Where the chart writes the flags it leaves out by default.
	optionalFlagGoesBefore := map[string]string{
		"--supported-plugins":   "--unknown-plugins",
		"--unsupported-plugins": "--unknown-plugins",
		"--migration-exempt":    "--audit",
	}
	withoutAudit := slices.DeleteFunc(slices.Clone(defaults), func(a string) bool {
		return a == "--audit" || strings.HasPrefix(a, "--audit-") || strings.HasPrefix(a, "--leader-election-")
	})
	// with returns defaults with some flags' values replaced or optional flags added, and
	// extra arguments at the end.
	with := func(replace map[string]string, extra ...string) []string {
		out := slices.Clone(defaults)
		flagIndex := func(flag string) int {
			return slices.IndexFunc(out, func(a string) bool { return a == flag || strings.HasPrefix(a, flag+"=") })
		}
		for flag, value := range replace {
			if i := flagIndex(flag); i >= 0 {
				out[i] = flag + "=" + value
				continue
			}
			out = slices.Insert(out, flagIndex(optionalFlagGoesBefore[flag]), flag+"="+value)
		}
		return append(out, extra...)
	}
	cases := map[string]struct {
		values string
		want   []string
	}{
		"defaults":         {want: defaults},
		"upstream dialect": {values: "dialect: upstream", want: with(map[string]string{"--dialect": "upstream"})},
		"dialect probe": {values: "dialectProbe: {fallback: none, interval: 1h, timeout: 3s}",
			want: with(map[string]string{"--dialect-fallback": "none", "--dialect-probe-interval": "1h", "--dialect-probe-timeout": "3s"})},
		"passt warns":         {values: "passtBinding: warn", want: with(map[string]string{"--passt-binding": "warn"})},
		"unknown plugins":     {values: "unknownPlugins: deny", want: with(map[string]string{"--unknown-plugins": "deny"})},
		"debug logs":          {values: "logLevel: debug", want: with(map[string]string{"--zap-log-level": "debug"})},
		"numeric verbosity":   {values: "logLevel: 3", want: with(map[string]string{"--zap-log-level": "3"})},
		"supported plugins":   {values: "supportedPlugins: [vendor-a, vendor-b]", want: with(map[string]string{"--supported-plugins": "vendor-a,vendor-b"})},
		"unsupported plugins": {values: "unsupportedPlugins: [vendor-c]", want: with(map[string]string{"--unsupported-plugins": "vendor-c"})},
		"extra args last":     {values: "extraArgs: [--zap-encoder=console, --zap-stacktrace-level=panic]", want: with(nil, "--zap-encoder=console", "--zap-stacktrace-level=panic")},
		"metrics off":         {values: "metrics: {enabled: false}", want: with(map[string]string{"--metrics-bind-address": "0"})},
		"shutdown timeout":    {values: "shutdownTimeoutSeconds: 10", want: with(map[string]string{"--shutdown-timeout": "10s"})},
		"shutdown delay":      {values: "shutdownDelaySeconds: 0", want: with(map[string]string{"--shutdown-delay": "0s"})},
		"vmi lookup":          {values: "migrations: {vmiLookupTimeout: 1500ms, lookupFailure: deny}", want: with(map[string]string{"--vmi-lookup-timeout": "1500ms", "--migration-lookup-failure": "deny"})},
		"exempt identities": {values: "migrations: {exempt: [system:serviceaccount:openshift-cnv:kubevirt-handler, group:kubevirt-admins]}",
			want: with(map[string]string{"--migration-exempt": "system:serviceaccount:openshift-cnv:kubevirt-handler,group:kubevirt-admins"})},
		"nobody exempt": {values: "migrations: {exempt: []}", want: with(map[string]string{"--migration-exempt": ""})},
		"audit off":     {values: "audit: {enabled: false}", want: withoutAudit},
		"audit tuned": {values: "audit: {interval: 10m, workers: 4, qps: 7.5, leaderElection: {leaseDuration: 60s, renewDeadline: 40s, retryPeriod: 5s}}",
			want: with(map[string]string{"--audit-interval": "10m", "--audit-workers": "4", "--audit-qps": "7.5",
				"--leader-election-lease-duration": "60s", "--leader-election-renew-deadline": "40s", "--leader-election-retry-period": "5s"})},
		"ports": {values: "ports: {webhook: 10443, health: 10081, metrics: 10080}",
			want: with(map[string]string{"--port": "10443", "--health-probe-bind-address": ":10081", "--metrics-bind-address": ":10080"})},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			deployment := decode[appsv1.Deployment](t, render(t, "lw", "vm-admission", tc.values).get(t, "Deployment", "lw-linkstate-webhook"))
			container := deployment.Spec.Template.Spec.Containers[0]
			if diff := cmp.Diff(tc.want, container.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			if !slices.Equal(container.Command, []string{"/webhook"}) {
				t.Errorf("command %v, want [/webhook]", container.Command)
			}
		})
	}
}

// The values that shape the pod beyond its flags.
func TestPodValues(t *testing.T) {
	objs := render(t, "lw", "vm-admission", `
replicas: 3
preStopSleepSeconds: 0
shutdownTimeoutSeconds: 10
metrics: {enabled: false}
ports: {webhook: 10443}
priorityClassName: system-cluster-critical
podAnnotations: {example.com/owner: platform}
resources: {requests: {cpu: 200m}}
topologySpreadConstraints: [{maxSkew: 2, topologyKey: example.com/rack, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {custom: selector}}}]
`)
	deployment := decode[appsv1.Deployment](t, objs.get(t, "Deployment", "lw-linkstate-webhook"))
	pod := deployment.Spec.Template.Spec
	container := pod.Containers[0]
	if *deployment.Spec.Replicas != 3 {
		t.Errorf("replicas %d, want 3", *deployment.Spec.Replicas)
	}
	if container.Lifecycle != nil {
		t.Errorf("preStopSleepSeconds=0 still renders lifecycle %+v", container.Lifecycle)
	}
	if *pod.TerminationGracePeriodSeconds != 20 {
		t.Errorf("terminationGracePeriodSeconds %d, want 20 (0 preStop + 5 drain + 10 shutdown + 5)", *pod.TerminationGracePeriodSeconds)
	}
	if slices.ContainsFunc(container.Ports, func(p corev1.ContainerPort) bool { return p.Name == "metrics" }) ||
		objs.find("Service", "lw-linkstate-webhook-metrics") != nil {
		t.Error("metrics.enabled=false still renders the metrics port or Service")
	}
	if containerPort(t, container, "webhook") != 10443 {
		t.Errorf("webhook container port %d, want 10443", containerPort(t, container, "webhook"))
	}
	if pod.PriorityClassName != "system-cluster-critical" || deployment.Spec.Template.Annotations["example.com/owner"] != "platform" {
		t.Errorf("priorityClassName %q, annotations %v", pod.PriorityClassName, deployment.Spec.Template.Annotations)
	}
	if got := container.Resources.Requests.Cpu().String(); got != "200m" {
		t.Errorf("cpu request %s, want 200m", got)
	}
	want := []corev1.TopologySpreadConstraint{{MaxSkew: 2, TopologyKey: "example.com/rack", WhenUnsatisfiable: corev1.DoNotSchedule,
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"custom": "selector"}}}}
	if diff := cmp.Diff(want, pod.TopologySpreadConstraints); diff != "" {
		t.Errorf("a constraint with its own labelSelector is rendered as given (-want +got):\n%s", diff)
	}
}

func TestImage(t *testing.T) {
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	data, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &chart); err != nil || chart.AppVersion == "" {
		t.Fatalf("Chart.yaml appVersion %q: %v", chart.AppVersion, err)
	}
	digest := "sha256:" + strings.Repeat("ab", 32)
	cases := map[string]struct{ values, want string }{
		"appVersion by default": {"", "ghcr.io/linkstate-webhook/linkstate-webhook:" + chart.AppVersion},
		"tag":                   {"image: {repository: registry.example/lsw, tag: v9.9.9}", "registry.example/lsw:v9.9.9"},
		"digest wins":           {"image: {tag: v9.9.9, digest: " + digest + "}", "ghcr.io/linkstate-webhook/linkstate-webhook@" + digest},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			deployment := decode[appsv1.Deployment](t, render(t, "lw", "vm-admission", tc.values).get(t, "Deployment", "lw-linkstate-webhook"))
			if got := deployment.Spec.Template.Spec.Containers[0].Image; got != tc.want {
				t.Errorf("image %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPluginListsMustNotOverlap(t *testing.T) {
	_, err := template(t, "lw", "vm-admission", "{supportedPlugins: [a, shared], unsupportedPlugins: [shared, b]}")
	if err == nil || !strings.Contains(err.Error(), "both supportedPlugins and unsupportedPlugins: shared") {
		t.Errorf("got %v, want the chart to refuse plugin shared in both lists (the webhook would not start)", err)
	}
}

// The `helm test` Pod asks the webhook's Service, by the name the certificate is for, on the
// path pkg/server serves, trusting the CA the webhook configurations trust.
func TestHelmTestPod(t *testing.T) {
	userPKI := issueServingPKI(t, "lw-linkstate-webhook.vm-admission.svc")
	for mode, values := range map[string]string{
		"certManager": "",
		"helm":        "tls: {mode: helm}",
		"secret":      fmt.Sprintf("tls: {mode: secret, secret: {name: corp-tls, caBundle: %s}}", base64.StdEncoding.EncodeToString(userPKI.caPEM)),
	} {
		t.Run(mode, func(t *testing.T) {
			pod := decode[corev1.Pod](t, render(t, "lw", "vm-admission", values).get(t, "Pod", "lw-linkstate-webhook-test"))
			if pod.Annotations["helm.sh/hook"] != "test" {
				t.Errorf("annotations %v: not a helm test hook", pod.Annotations)
			}
			container := pod.Spec.Containers[0]
			env := map[string]corev1.EnvVar{}
			for _, e := range container.Env {
				env[e.Name] = e
			}
			if want := "https://lw-linkstate-webhook.vm-admission.svc:443" + server.PathValidateVM; env["WEBHOOK_URL"].Value != want {
				t.Errorf("WEBHOOK_URL %q, want %q", env["WEBHOOK_URL"].Value, want)
			}
			ca := env["CA_CERT"]
			switch mode {
			case "secret":
				if ca.Value != string(userPKI.caPEM) {
					t.Errorf("CA_CERT %q, want tls.secret.caBundle decoded", ca.Value)
				}
			default:
				want := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "lw-linkstate-webhook-tls"}, Key: "ca.crt"}
				if ca.ValueFrom == nil || cmp.Diff(want, ca.ValueFrom.SecretKeyRef) != "" {
					t.Errorf("CA_CERT from %+v, want the serving Secret's ca.crt", ca.ValueFrom)
				}
			}
			// The image names its user; without a numeric runAsUser, runAsNonRoot keeps the
			// container from starting.
			if sc := container.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
				t.Errorf("test container securityContext %+v, want runAsNonRoot with a numeric non-root runAsUser", sc)
			}
		})
	}
}

// webhook is one webhook of either configuration, with the fields the tests compare.
type webhook struct {
	configuration     string // mutating or validating
	name              string
	clientConfig      admissionregistrationv1.WebhookClientConfig
	namespaceSelector *metav1.LabelSelector
	objectSelector    *metav1.LabelSelector
	failurePolicy     *admissionregistrationv1.FailurePolicyType
	timeoutSeconds    *int32
}

func webhookConfigurations(t *testing.T, objs objects) (*admissionregistrationv1.MutatingWebhookConfiguration, *admissionregistrationv1.ValidatingWebhookConfiguration) {
	t.Helper()
	m, v := objs.ofKind("MutatingWebhookConfiguration"), objs.ofKind("ValidatingWebhookConfiguration")
	if len(m) != 1 || len(v) != 1 {
		t.Fatalf("want one mutating and one validating webhook configuration, got %v", append(m, v...).names())
	}
	return decode[admissionregistrationv1.MutatingWebhookConfiguration](t, m[0]),
		decode[admissionregistrationv1.ValidatingWebhookConfiguration](t, v[0])
}

func allWebhooks(t *testing.T, objs objects) []webhook {
	t.Helper()
	mutating, validating := webhookConfigurations(t, objs)
	var all []webhook
	for _, w := range mutating.Webhooks {
		all = append(all, webhook{"mutating", w.Name, w.ClientConfig, w.NamespaceSelector, w.ObjectSelector, w.FailurePolicy, w.TimeoutSeconds})
	}
	for _, w := range validating.Webhooks {
		all = append(all, webhook{"validating", w.Name, w.ClientConfig, w.NamespaceSelector, w.ObjectSelector, w.FailurePolicy, w.TimeoutSeconds})
	}
	if len(all) != len(servedPaths) {
		t.Fatalf("%d webhooks, want one per served path (%d)", len(all), len(servedPaths))
	}
	return all
}

func assertInjectsCAFrom(t *testing.T, configuration *unstructured.Unstructured, certificate string) {
	t.Helper()
	if got := configuration.GetAnnotations()[injectCAAnnotation]; got != certificate {
		t.Errorf("%s %s: %s is %q, want %q", configuration.GetKind(), configuration.GetName(), injectCAAnnotation, got, certificate)
	}
}

func assertField(t *testing.T, o *unstructured.Unstructured, want any, path ...string) {
	t.Helper()
	got, found, err := unstructured.NestedFieldNoCopy(o.Object, path...)
	if err != nil || !found {
		t.Errorf("%s %s: no %s (%v)", o.GetKind(), o.GetName(), strings.Join(path, "."), err)
		return
	}
	if s, ok := want.([]string); ok { // YAML lists decode as []any
		var anys []any
		for _, v := range s {
			anys = append(anys, v)
		}
		want = anys
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s %s: %s (-want +got):\n%s", o.GetKind(), o.GetName(), strings.Join(path, "."), diff)
	}
}

func assertMountsSecret(t *testing.T, objs objects, deploymentName, secretName string) {
	t.Helper()
	deployment := decode[appsv1.Deployment](t, objs.get(t, "Deployment", deploymentName))
	for _, v := range deployment.Spec.Template.Spec.Volumes {
		if v.Name == "serving-cert" {
			if v.Secret == nil || v.Secret.SecretName != secretName {
				t.Errorf("serving-cert volume %+v, want Secret %s", v.VolumeSource, secretName)
			}
			return
		}
	}
	t.Errorf("no serving-cert volume in the Deployment")
}

func containerPort(t *testing.T, c corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port named %q (ports %+v)", c.Name, name, c.Ports)
	return 0
}

func volumeMount(t *testing.T, c corev1.Container, name string) corev1.VolumeMount {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("container %s mounts no volume %q", c.Name, name)
	return corev1.VolumeMount{}
}

func ptr[T any](v T) *T { return &v }
