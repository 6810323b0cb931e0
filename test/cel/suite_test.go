// Package cel proves, through one real kube-apiserver + etcd (envtest, KubeVirt's CRDs with
// their real schemas, the MutatingAdmissionPolicy feature gate and its v1beta1 API on),
// that the admission policies `webhook cel` generates (pkg/cel) give the webhook's verdicts:
// every row of the rule table (pkg/validate/validatetest) goes, as a VM and as a VMI, to
// namespaces the real webhook binary judges and to namespaces the generated policies judge,
// and the denials, the fields they name, the warnings and the stored objects must agree.
// It also type-checks the generated CEL against KubeVirt's schemas, and installs the Helm
// chart in its CEL mode.
package cel

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	admissionregistrationv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// What the API server needs for MutatingAdmissionPolicy on Kubernetes 1.34: the feature
// gate alone is not enough (the v1beta1 API stays off, and start-up hangs waiting for it).
var mutatingPolicyFlags = map[string][]string{
	"feature-gates":  {"MutatingAdmissionPolicy=true"},
	"runtime-config": {"admissionregistration.k8s.io/v1beta1=true"},
}

// The labels that split the API server between the two ways of judging.
const (
	// pathLabel on a namespace says who judges it: "webhook" or "cel". The webhooks skip
	// the "cel" ones; each policy binding takes only "cel" ones of its group.
	pathLabel = "equivalence.linkstate.kubevirt.io/path"
	// groupLabel on a namespace names the configuration its objects are judged with.
	groupLabel = "equivalence.linkstate.kubevirt.io/group"
	// unjudgedLabel on an object keeps both ways away from it, so that an update can start
	// from an object the rules would refuse (one stored before the rules were installed).
	unjudgedLabel = "equivalence.linkstate.kubevirt.io/unjudged"
)

var (
	env     *harness.Env
	c       client.Client
	webLog  = &harness.LogBuffer{}
	envOnce sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "--- webhook log ---\n%s\n", webLog)
		}
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the environment:", err)
		}
	}
	os.Exit(code)
}

// apiServer starts, once for the package, the API server with the webhook binary (default
// settings), its configurations narrowed to the webhook's side of the split.
func apiServer(t *testing.T) {
	t.Helper()
	var err error
	envOnce.Do(func() {
		env, err = harness.Start(context.Background(), harness.Options{
			APIServerArgs: mutatingPolicyFlags,
			WebhookLog:    webLog,
			Webhooks:      webhookSide,
		})
		if err != nil {
			return
		}
		cfg := rest.CopyConfig(env.Config)
		cfg.WarningHandlerWithContext = warningsByRequest{}
		cfg.QPS, cfg.Burst = 500, 1000
		if c, err = client.New(cfg, client.Options{}); err != nil {
			return
		}
		err = pinConfigMapParams(context.Background())
	})
	if err != nil || c == nil {
		t.Fatalf("starting the API server and the webhook: %v", err)
	}
}

// pinConfigMapParams creates a validating and a mutating policy that take ConfigMap params
// and never act (they match one ConfigMap name nobody writes), and never deletes them.
// Kubernetes (1.34, kubernetes/kubernetes#130887) stops its informer of a built-in paramKind
// for good once no binding names that kind, and then finds no params — or stale ones — for
// every policy created afterwards, until the API server restarts; docs/cel.md tells operators.
// Tests here install and uninstall policies freely (the chart's, for one), so the pins keep
// one binding of each plugin naming ConfigMap for the life of the API server.
func pinConfigMapParams(ctx context.Context) error {
	const name = "linkstate-test-pin"
	never := admissionregistrationv1.NamedRuleWithOperations{
		ResourceNames: []string{name + "-never-written"},
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
		},
	}
	params := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault}}
	allow := admissionregistrationv1.AllowAction
	objs := []client.Object{
		params,
		&admissionregistrationv1.ValidatingAdmissionPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				ParamKind:        &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
				MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{never}},
				Validations:      []admissionregistrationv1.Validation{{Expression: "true"}},
			},
		},
		&admissionregistrationv1.ValidatingAdmissionPolicyBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
				PolicyName: name, ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
				ParamRef: &admissionregistrationv1.ParamRef{Name: name, Namespace: params.Namespace, ParameterNotFoundAction: &allow},
			},
		},
		&admissionregistrationv1beta1.MutatingAdmissionPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admissionregistrationv1beta1.MutatingAdmissionPolicySpec{
				ParamKind: &admissionregistrationv1beta1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
				MatchConstraints: &admissionregistrationv1beta1.MatchResources{ResourceRules: []admissionregistrationv1beta1.NamedRuleWithOperations{{
					ResourceNames:      never.ResourceNames,
					RuleWithOperations: admissionregistrationv1beta1.RuleWithOperations{Operations: never.Operations, Rule: never.Rule},
				}}},
				Mutations: []admissionregistrationv1beta1.Mutation{{
					PatchType: admissionregistrationv1beta1.PatchTypeJSONPatch,
					JSONPatch: &admissionregistrationv1beta1.JSONPatch{Expression: "[JSONPatch{op: 'test', path: '/kind', value: 'ConfigMap'}]"},
				}},
				ReinvocationPolicy: admissionregistrationv1beta1.NeverReinvocationPolicy,
			},
		},
		&admissionregistrationv1beta1.MutatingAdmissionPolicyBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admissionregistrationv1beta1.MutatingAdmissionPolicyBindingSpec{
				PolicyName: name,
				ParamRef: &admissionregistrationv1beta1.ParamRef{Name: name, Namespace: params.Namespace,
					ParameterNotFoundAction: ptr.To(admissionregistrationv1beta1.AllowAction)},
			},
		},
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("pinning the ConfigMap param informers: %w", err)
		}
	}
	return nil
}

// webhookSide keeps the shipped webhooks off the policies' namespaces and off unjudged objects.
func webhookSide(mutating []*admissionregistrationv1.MutatingWebhookConfiguration,
	validating []*admissionregistrationv1.ValidatingWebhookConfiguration) (
	[]*admissionregistrationv1.MutatingWebhookConfiguration, []*admissionregistrationv1.ValidatingWebhookConfiguration) {
	narrow := func(ns, obj **metav1.LabelSelector) {
		if *ns == nil {
			*ns = &metav1.LabelSelector{}
		}
		(*ns).MatchExpressions = append((*ns).MatchExpressions,
			metav1.LabelSelectorRequirement{Key: pathLabel, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"cel"}})
		*obj = unjudged()
	}
	for _, m := range mutating {
		for i := range m.Webhooks {
			narrow(&m.Webhooks[i].NamespaceSelector, &m.Webhooks[i].ObjectSelector)
		}
	}
	for _, v := range validating {
		for i := range v.Webhooks {
			narrow(&v.Webhooks[i].NamespaceSelector, &v.Webhooks[i].ObjectSelector)
		}
	}
	return mutating, validating
}

// unjudged selects objects without the unjudged label.
func unjudged() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: unjudgedLabel, Operator: metav1.LabelSelectorOpDoesNotExist},
	}}
}

// warningsByRequest hands the API server's warnings to the collector in the request's
// context, so that parallel requests each get their own.
type warningsByRequest struct{}

type warningsKey struct{}

type collected struct {
	mu   sync.Mutex
	msgs []string
}

func (warningsByRequest) HandleWarningHeaderWithContext(ctx context.Context, code int, _ string, msg string) {
	if w, ok := ctx.Value(warningsKey{}).(*collected); ok && code == 299 && msg != "" {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.msgs = append(w.msgs, msg)
	}
}

// collecting is a context whose requests' warnings end up in the returned function's answer.
func collecting(ctx context.Context) (context.Context, func() []string) {
	w := &collected{}
	return context.WithValue(ctx, warningsKey{}, w), func() []string {
		w.mu.Lock()
		defer w.mu.Unlock()
		return append([]string(nil), w.msgs...)
	}
}
