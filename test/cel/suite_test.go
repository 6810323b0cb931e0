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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
		cfg := harness.Unthrottled(env.Config)
		cfg.WarningHandlerWithContext = warningsByRequest{}
		if c, err = client.New(cfg, client.Options{}); err != nil {
			return
		}
		// The tests install and uninstall policies freely (the chart's, for one).
		err = harness.PinConfigMapParams(context.Background(), c, true)
	})
	if err != nil || c == nil {
		t.Fatalf("starting the API server and the webhook: %v", err)
	}
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
