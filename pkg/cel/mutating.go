package cel

import (
	"fmt"
	"strconv"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	admissionregistrationv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// defaultedKinds are the bindings whose empty state is set to link up (D1), as
// linkstate.Config.AppliesLinkState says with no plugin listed; plugins are defaulted when
// the params list them as supported.
func (g *generator) defaultedKinds() []linkstate.BindingKind {
	none := linkstate.DefaultConfig()
	var kinds []linkstate.BindingKind
	seen := map[linkstate.BindingKind]bool{}
	for _, f := range g.fields {
		k := f.binding.Kind
		if !seen[k] && k != linkstate.BindingPlugin && none.AppliesLinkState(linkstate.Binding{Kind: k}) {
			kinds = append(kinds, k)
		}
		seen[k] = true
	}
	return kinds
}

// mutating builds kind k's MutatingAdmissionPolicy: D1 and D2 (mutate.DefaultStates) as
// JSON patches that add interfaces/N/state and nothing else, like the webhook's patch.
// A VM is mutated on create and update, a VMI on create only (KubeVirt's VM controller
// copies the VM's states into its VMI later); an object being deleted is left alone.
func (g *generator) mutating(k linkstate.Kind) (*admissionregistrationv1beta1.MutatingAdmissionPolicy, error) {
	v := newVariables()
	g.readers(v, k, "")
	g.settings(v, "params")
	v.add("canonical", mapLit(g.spell.aliases, g.spell.canonical))
	pointer, err := fill(k.StatePointer(tokIndex), hole{strconv.Itoa(tokIndex), cat{"string(x)"}})
	if err != nil {
		return nil, err
	}
	patch := fmt.Sprintf(`variables.ifaces.transformList(x, i,
  variables.states[x] in variables.canonical ||
  (variables.states[x] == '' && (variables.bindingKinds[x] in %s ||
    (%s && variables.bindingNames[x] in variables.supportedPlugins && !(variables.bindingNames[x] in variables.unsupportedPlugins)))),
  JSONPatch{
    op: 'add',
    path: %s,
    value: variables.states[x] in variables.canonical ? variables.canonical[variables.states[x]] : %s
  })`, kindList(g.defaultedKinds()), isKind(linkstate.BindingPlugin), pointer.String(), lit(g.spell.up))
	vars, err := v.take(patch)
	if err != nil {
		return nil, err
	}
	ops := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	if k.GroupKind == linkstate.VirtualMachineInstance.GroupKind {
		ops = ops[:1]
	}
	match := matchKind(k, ops...)
	var rules []admissionregistrationv1beta1.NamedRuleWithOperations
	for _, r := range match.ResourceRules {
		rules = append(rules, admissionregistrationv1beta1.NamedRuleWithOperations{
			ResourceNames: r.ResourceNames,
			RuleWithOperations: admissionregistrationv1beta1.RuleWithOperations{
				Operations: r.Operations, Rule: r.Rule,
			},
		})
	}
	betaVars := make([]admissionregistrationv1beta1.Variable, len(vars))
	for i, nv := range vars {
		betaVars[i] = admissionregistrationv1beta1.Variable{Name: nv.name, Expression: nv.expr}
	}
	return &admissionregistrationv1beta1.MutatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1beta1.SchemeGroupVersion.String(), Kind: "MutatingAdmissionPolicy"},
		ObjectMeta: g.policyMeta(g.policyName(k, "defaults")),
		Spec: admissionregistrationv1beta1.MutatingAdmissionPolicySpec{
			ParamKind: &admissionregistrationv1beta1.ParamKind{APIVersion: paramKind.APIVersion, Kind: paramKind.Kind},
			MatchConstraints: &admissionregistrationv1beta1.MatchResources{
				MatchPolicy:   ptrTo(admissionregistrationv1beta1.Equivalent),
				ResourceRules: rules,
			},
			MatchConditions: []admissionregistrationv1beta1.MatchCondition{{
				Name:       "not-being-deleted",
				Expression: "!has(object.metadata.deletionTimestamp)",
			}},
			Variables: betaVars,
			Mutations: []admissionregistrationv1beta1.Mutation{{
				PatchType: admissionregistrationv1beta1.PatchTypeJSONPatch,
				JSONPatch: &admissionregistrationv1beta1.JSONPatch{Expression: patch},
			}},
			FailurePolicy: ptrTo(admissionregistrationv1beta1.FailurePolicyType(*g.opts.failurePolicy())),
			// KubeVirt's own mutating webhooks may add interfaces after this ran: run again then.
			ReinvocationPolicy: admissionregistrationv1beta1.IfNeededReinvocationPolicy,
		},
	}, nil
}
