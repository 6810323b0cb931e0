package cel

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The defaults: the names and namespace config/ installs the webhook under.
const (
	DefaultPrefix    = "linkstate-webhook"
	DefaultNamespace = "linkstate-webhook-system"
)

// The namespace label with which a namespace opts out, of the webhooks and of the policies.
const (
	OptOutLabel = "linkstate.kubevirt.io/webhook"
	OptOutValue = "disabled"
)

// Options say what to generate.
type Options struct {
	// Config is the dialect, fixed in the policies' CEL, and the settings the params
	// ConfigMap starts with (operators change those there, without regenerating).
	Config linkstate.Config
	// Namespace holds the params ConfigMap. Like kube-system, it is never judged: it is
	// where the webhook's service runs too, whose repair must never be blocked.
	Namespace string
	// Prefix starts every name: <Prefix>-virtualmachine-deny, <Prefix>-cel-params, ...
	Prefix string
	// CreateNamespace adds Namespace to the output, so that the params ConfigMap has a home
	// on a cluster where the webhook was never installed.
	CreateNamespace bool
	// Mutating adds the MutatingAdmissionPolicies (D1, D2); they need Kubernetes >= 1.34
	// with the MutatingAdmissionPolicy feature gate and admissionregistration.k8s.io/v1beta1.
	Mutating bool
	// FailurePolicy applies when a policy cannot be evaluated (a missing params ConfigMap
	// is a denial whatever it says: see paramNotFound). Empty means Fail.
	FailurePolicy admissionregistrationv1.FailurePolicyType
	// NamespaceSelector and ObjectSelector narrow the bindings further, like the chart's
	// values of the same names: NamespaceSelector is added (AND) to the built-in one.
	NamespaceSelector *metav1.LabelSelector
	ObjectSelector    *metav1.LabelSelector
}

// DefaultOptions are the defaults of `webhook cel`.
func DefaultOptions() Options {
	return Options{
		Config:          linkstate.DefaultConfig(),
		Namespace:       DefaultNamespace,
		Prefix:          DefaultPrefix,
		Mutating:        true,
		CreateNamespace: true,
		FailurePolicy:   admissionregistrationv1.Fail,
	}
}

func (o Options) validate() error {
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return fmt.Errorf("namespace %q: %s", o.Namespace, strings.Join(errs, "; "))
	}
	// The longest name is the prefix plus "-virtualmachineinstance-defaults"; a ConfigMap's
	// name is a DNS subdomain, as are the policies'.
	longest := o.Prefix + "-virtualmachineinstance-defaults"
	if errs := validation.IsDNS1123Subdomain(longest); len(errs) > 0 || o.Prefix == "" {
		return fmt.Errorf("prefix %q does not make valid names (%s): %s", o.Prefix, longest, strings.Join(errs, "; "))
	}
	switch o.FailurePolicy {
	case "", admissionregistrationv1.Fail, admissionregistrationv1.Ignore:
	default:
		return fmt.Errorf("failure policy %q: use Fail or Ignore", o.FailurePolicy)
	}
	if _, err := linkstate.ParseAction(string(o.Config.PasstBinding)); err != nil {
		return fmt.Errorf("passtBinding: %w", err)
	}
	if _, err := linkstate.ParseAction(string(o.Config.UnknownPlugins)); err != nil {
		return fmt.Errorf("unknownPlugins: %w", err)
	}
	for name := range o.Config.Plugins {
		if name == "" || strings.ContainsAny(name, ", \t\n") {
			return fmt.Errorf("binding plugin name %q cannot be listed in the params ConfigMap (comma-separated)", name)
		}
	}
	return nil
}

func (o Options) failurePolicy() *admissionregistrationv1.FailurePolicyType {
	p := o.FailurePolicy
	if p == "" {
		p = admissionregistrationv1.Fail
	}
	return &p
}
