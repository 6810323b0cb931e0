package cel

import (
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	admissionregistrationv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Labels and annotations of every generated object.
const (
	// PartOfLabel (app.kubernetes.io/part-of=linkstate-webhook) finds everything generated,
	// e.g. to delete it.
	PartOfLabel = "app.kubernetes.io/part-of"
	partOf      = "linkstate-webhook"
	// DialectAnnotation on each policy says which dialect's spellings its CEL holds.
	DialectAnnotation = "linkstate.kubevirt.io/dialect"
)

// Kinds are the kinds policies are generated for, in output order.
var Kinds = []linkstate.Kind{linkstate.VirtualMachine, linkstate.VirtualMachineInstance}

// Policies is everything generated, each policy with its binding.
type Policies struct {
	// Namespace is Options.Namespace, if Options.CreateNamespace.
	Namespace *corev1.Namespace
	// Params holds the settings operators change at runtime.
	Params *corev1.ConfigMap
	// ParamsGuard refuses a Params the policies could not read.
	ParamsGuard        *admissionregistrationv1.ValidatingAdmissionPolicy
	ParamsGuardBinding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
	// Validating holds, per kind (VM then VMI), the policy that denies, then the one that
	// warns; ValidatingBindings their bindings, in the same order.
	Validating         []*admissionregistrationv1.ValidatingAdmissionPolicy
	ValidatingBindings []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
	// Mutating holds the defaulting policy per kind (none unless Options.Mutating).
	Mutating         []*admissionregistrationv1beta1.MutatingAdmissionPolicy
	MutatingBindings []*admissionregistrationv1beta1.MutatingAdmissionPolicyBinding
}

// Generate builds the policies, their bindings and their params for opts.
func Generate(opts Options) (*Policies, error) {
	g, err := newGenerator(opts)
	if err != nil {
		return nil, err
	}
	p := &Policies{Params: g.params()}
	if opts.CreateNamespace {
		p.Namespace = &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: opts.Namespace},
		}
	}
	if p.ParamsGuard, err = g.guard(); err != nil {
		return nil, err
	}
	p.ParamsGuardBinding = &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: g.meta(p.ParamsGuard.Name, ""),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        p.ParamsGuard.Name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: opts.Namespace}},
			},
		},
	}
	for _, k := range Kinds {
		deny, warn, err := g.validating(k)
		if err != nil {
			return nil, err
		}
		p.Validating = append(p.Validating, deny, warn)
		p.ValidatingBindings = append(p.ValidatingBindings,
			g.validatingBinding(deny.Name, admissionregistrationv1.Deny), g.validatingBinding(warn.Name, admissionregistrationv1.Warn))
		if opts.Mutating {
			m, err := g.mutating(k)
			if err != nil {
				return nil, err
			}
			p.Mutating = append(p.Mutating, m)
			p.MutatingBindings = append(p.MutatingBindings, g.mutatingBinding(m.Name))
		}
	}
	return p, nil
}

// Objects are all of them in the order to apply them: the namespace before the params,
// the params before the guard that checks them, each policy before its binding.
func (p *Policies) Objects() []client.Object {
	var objs []client.Object
	if p.Namespace != nil {
		objs = append(objs, p.Namespace)
	}
	objs = append(objs, p.Params, p.ParamsGuard, p.ParamsGuardBinding)
	for i := range p.Validating {
		objs = append(objs, p.Validating[i], p.ValidatingBindings[i])
	}
	for i := range p.Mutating {
		objs = append(objs, p.Mutating[i], p.MutatingBindings[i])
	}
	return objs
}

func (g *generator) meta(name, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{PartOfLabel: partOf}}
}

func (g *generator) policyMeta(name string) metav1.ObjectMeta {
	m := g.meta(name, "")
	m.Annotations = map[string]string{DialectAnnotation: string(g.spell.dialect)}
	return m
}

// policyName is <prefix>-<kind>-<role>: linkstate-webhook-virtualmachine-deny.
func (g *generator) policyName(k linkstate.Kind, role string) string {
	return g.opts.Prefix + "-" + strings.ToLower(k.GroupKind.Kind) + "-" + role
}

// matchResources limits a binding as the webhooks are limited: never kube-system nor the
// service's namespace, never a namespace labelled linkstate.kubevirt.io/webhook=disabled,
// and the caller's selectors on top.
func (g *generator) matchResources() *admissionregistrationv1.MatchResources {
	sel := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpNotIn, Values: []string{metav1.NamespaceSystem, g.opts.Namespace}},
		{Key: OptOutLabel, Operator: metav1.LabelSelectorOpNotIn, Values: []string{OptOutValue}},
	}}
	if extra := g.opts.NamespaceSelector; extra != nil {
		sel.MatchLabels = extra.MatchLabels
		sel.MatchExpressions = append(sel.MatchExpressions, extra.MatchExpressions...)
	}
	return &admissionregistrationv1.MatchResources{NamespaceSelector: sel, ObjectSelector: g.opts.ObjectSelector}
}

func (g *generator) paramRef() *admissionregistrationv1.ParamRef {
	return &admissionregistrationv1.ParamRef{Name: g.paramsName(), Namespace: g.opts.Namespace, ParameterNotFoundAction: &paramNotFound}
}

func (g *generator) validatingBinding(policy string, action admissionregistrationv1.ValidationAction) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: g.meta(policy, ""),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy,
			ParamRef:          g.paramRef(),
			MatchResources:    g.matchResources(),
			ValidationActions: []admissionregistrationv1.ValidationAction{action},
		},
	}
}

func (g *generator) mutatingBinding(policy string) *admissionregistrationv1beta1.MutatingAdmissionPolicyBinding {
	ref, match := g.paramRef(), g.matchResources()
	return &admissionregistrationv1beta1.MutatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1beta1.SchemeGroupVersion.String(), Kind: "MutatingAdmissionPolicyBinding"},
		ObjectMeta: g.meta(policy, ""),
		Spec: admissionregistrationv1beta1.MutatingAdmissionPolicyBindingSpec{
			PolicyName: policy,
			ParamRef: &admissionregistrationv1beta1.ParamRef{Name: ref.Name, Namespace: ref.Namespace,
				ParameterNotFoundAction: ptrTo(admissionregistrationv1beta1.ParameterNotFoundActionType(*ref.ParameterNotFoundAction))},
			MatchResources: &admissionregistrationv1beta1.MatchResources{
				NamespaceSelector: match.NamespaceSelector, ObjectSelector: match.ObjectSelector,
			},
		},
	}
}
