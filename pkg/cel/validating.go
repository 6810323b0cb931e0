package cel

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// The kinds of binding whose interfaces the rules treat alike, as pkg/validate does.
var (
	// Hot-plugged into a running VM (T2 does not warn about them): bridge and SR-IOV, and
	// what the rules do not judge.
	hotpluggable = []linkstate.BindingKind{linkstate.BindingBridge, linkstate.BindingNone, linkstate.BindingSRIOV,
		linkstate.BindingDiscontinued, linkstate.BindingAmbiguous}
	// Not judged when unplugged (A1): KubeVirt rejects these interfaces itself.
	absentNotJudged = []linkstate.BindingKind{linkstate.BindingDiscontinued, linkstate.BindingAmbiguous}
)

func kindList(kinds []linkstate.BindingKind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return listLit(s)
}

// isKind is the CEL test that interface x has binding kind k.
func isKind(k linkstate.BindingKind) string { return "variables.bindingKinds[x] == " + lit(string(k)) }

// meaningIs is the CEL test that interface x's state means m.
func meaningIs(m linkstate.Meaning) string { return "variables.meanings[x] == " + lit(meaningNames[m]) }

var upOrDown = listLit([]string{meaningNames[linkstate.MeaningUp], meaningNames[linkstate.MeaningDown]})

// texts holds the CEL expressions printing each finding about interface x, as the webhook
// prints it.
type texts struct {
	v1, b1, b3, b3Warn, b4Unsupported, b4Unknown, b4UnknownWarn string
	a1Model, a1NoBinding, a1Binding, a2, p1, t1, t2             string
}

func (g *generator) texts(k linkstate.Kind) (texts, error) {
	state, model := cat{"variables.statePaths[x]"}, cat{"variables.modelPaths[x]"}
	value := "variables.states[x]"
	plugin := "variables.bindingNames[x]"
	display := g.bindingDisplay()
	var errs []error
	keep := func(c cat, err error) string {
		errs = append(errs, err)
		return c.String()
	}
	text := func(f string, args ...string) cat {
		c, err := format(f, args...)
		errs = append(errs, err)
		return c
	}
	invalid := func(path cat, value, f string, args ...string) string {
		return keep(invalidValue(path, value, text(f, args...)))
	}
	warned := func(f string, args ...string) string {
		return keep(warning(state, text(f, args...)))
	}
	x := validate.Texts
	t := texts{
		v1:            keep(notSupported(state, value, g.spell.legal)),
		b1:            invalid(state, value, x.SRIOV),
		b3:            invalid(state, value, x.PasstBinding),
		b3Warn:        warned(x.PasstBinding),
		b4Unsupported: invalid(state, value, x.PluginUnsupported, plugin),
		b4Unknown:     invalid(state, value, x.PluginUnknown, plugin),
		b4UnknownWarn: warned(x.PluginUnknown, plugin),
		a1Model:       invalid(model, "variables.models[x]", x.AbsentModel),
		a1NoBinding:   invalid(state, value, x.AbsentNoBinding),
		a1Binding:     invalid(state, value, x.AbsentBinding, display),
		a2:            invalid(state, value, x.AbsentDefault, lit(g.spell.down)),
		p1:            warned(x.DefaultNetDown),
		t1:            keep(forbidden(state, text(x.AbsentIsFinal, "i.name"))),
		t2:            warned(x.HotplugNotBridged, "i.name", display),
	}
	for _, err := range errs {
		if err != nil {
			return texts{}, err
		}
	}
	return t, nil
}

// bindingDisplay prints interface x's binding as linkstate.Binding.String names it.
func (g *generator) bindingDisplay() string {
	kinds := []string{string(linkstate.BindingNone), string(linkstate.BindingAmbiguous)}
	display := map[string]string{}
	for _, f := range g.fields {
		if !slices.Contains(kinds, string(f.binding.Kind)) {
			kinds = append(kinds, string(f.binding.Kind))
		}
	}
	for _, k := range kinds {
		display[k] = linkstate.Binding{Kind: linkstate.BindingKind(k)}.String()
	}
	return fmt.Sprintf("variables.bindingNames[x] != '' ? variables.bindingNames[x] : %s[variables.bindingKinds[x]]", mapLit(kinds, display))
}

// rules defines the findings of kind k's objects, as lists with one list of texts per
// interface, in interface order (the webhook's order):
//
//	interfaceDenials, interfaceWarnings    V1, B1, B3, B4, A1, A2, P1 on the judged interfaces
//	transitionDenials, transitionWarnings  T1, T2 on a running VM (VMs only)
//	denials, warnings                      all of them, and their count and text (the
//	                                       webhook's list of field errors, or of warnings)
func (g *generator) rules(v *variables, k linkstate.Kind) error {
	t, err := g.texts(k)
	if err != nil {
		return err
	}
	// Where the findings are: spec.template.spec.domain.devices.interfaces[x].state for a VM.
	v.add("statePaths", "variables.ifaces.transformList(x, i, "+fieldPath(k, "state").String()+")")
	v.add("modelPaths", "variables.ifaces.transformList(x, i, "+fieldPath(k, "model").String()+")")
	models, err := virtioModels()
	if err != nil {
		return err
	}
	v.add("interfaceDenials", fmt.Sprintf(`variables.ifaces.transformList(x, i, variables.judged[x],
  %s ? [%s] :
  variables.meanings[x] in %s ? (
    %s ? [%s] :
    %s && !variables.passtWarn ? [%s] :
    variables.pluginSupport[x] == %s ? [%s] :
    variables.pluginSupport[x] == %s && variables.unknownDeny ? [%s] :
    []) :
  %s ? (
    (%s ? (variables.models[x] in %s ? [] : [%s]) :
     %s ? [%s] :
     variables.bindingKinds[x] in %s ? [] :
     [%s]) +
    (variables.onDefaultNet[x] ? [%s] : [])) :
  [])`,
		"variables.meanings[x] == "+lit(meaningInvalid), t.v1,
		upOrDown,
		isKind(linkstate.BindingSRIOV), t.b1,
		isKind(linkstate.BindingPasstBinding), t.b3,
		lit(string(linkstate.PluginUnsupported)), t.b4Unsupported,
		lit(string(linkstate.PluginUnknown)), t.b4Unknown,
		meaningIs(linkstate.MeaningAbsent),
		isKind(linkstate.BindingBridge), listLit(models), t.a1Model,
		isKind(linkstate.BindingNone), t.a1NoBinding,
		kindList(absentNotJudged),
		t.a1Binding,
		t.a2))
	v.add("interfaceWarnings", fmt.Sprintf(`variables.ifaces.transformList(x, i, variables.judged[x] && variables.meanings[x] in %s,
  (%s && variables.passtWarn ? [%s] :
   variables.pluginSupport[x] == %s && !variables.unknownDeny ? [%s] :
   []) +
  (%s && variables.onDefaultNet[x] ? [%s] : []))`,
		upOrDown,
		isKind(linkstate.BindingPasstBinding), t.b3Warn,
		lit(string(linkstate.PluginUnknown)), t.b4UnknownWarn,
		meaningIs(linkstate.MeaningDown), t.p1))

	denials, warnings := "variables.interfaceDenials", "variables.interfaceWarnings"
	if k.GroupKind == linkstate.VirtualMachine.GroupKind {
		absent := lit(meaningNames[linkstate.MeaningAbsent])
		v.add("transitionDenials", fmt.Sprintf(`!variables.running ? [] : variables.ifaces.transformList(x, i,
  variables.oldIndex[x] >= 0 && variables.oldMeanings[variables.oldIndex[x]] == %s && variables.meanings[x] != %s,
  [%s])`, absent, absent, t.t1))
		v.add("transitionWarnings", fmt.Sprintf(`!variables.running ? [] : variables.ifaces.transformList(x, i,
  variables.oldIndex[x] < 0 && variables.meanings[x] != %s && !(variables.bindingKinds[x] in %s),
  [%s])`, absent, kindList(hotpluggable), t.t2))
		denials += " + variables.transitionDenials"
		warnings += " + variables.transitionWarnings"
	}
	for _, list := range []struct{ name, expr string }{{"denial", denials}, {"warning", warnings}} {
		v.add(list.name+"s", list.expr)
		v.add(list.name+"Count", fmt.Sprintf("variables.%ss.map(l, size(l)).sum()", list.name))
		v.add(list.name+"Text", fmt.Sprintf("variables.%ss.filter(l, size(l) > 0).map(l, l.join(%s)).join(%s)", list.name, lit(g.list.sep), lit(g.list.sep)))
	}
	return nil
}

// findingsCheck is the one validation of a deny or warn policy: every finding is in its
// message, as the webhook puts every finding in its answer. (A policy's denial carries the
// message of one validation only: a validation per rule would report one rule at a time.)
func (g *generator) findingsCheck(list string) admissionregistrationv1.Validation {
	return admissionregistrationv1.Validation{
		Expression: fmt.Sprintf("variables.%sCount == 0", list),
		MessageExpression: fmt.Sprintf("variables.%sCount == 1 ? variables.%sText : %s",
			list, list, concat(lit(g.list.open), "variables."+list+"Text", lit(g.list.close))),
		// When the list is too long for a message (5 KiB), the API server says this instead.
		Message: fmt.Sprintf("interfaces of this object break the link-state rules (%ss); the list is too long to print here: "+
			"`webhook check -f` on the manifest prints it", list),
		Reason: ptrTo(metav1.StatusReasonInvalid),
	}
}

// validating builds kind k's two policies: the one whose binding denies, and the one whose
// binding warns (a binding has one set of actions for all its policy's validations).
func (g *generator) validating(k linkstate.Kind) (deny, warn *admissionregistrationv1.ValidatingAdmissionPolicy, err error) {
	v := newVariables()
	g.shared(v)
	g.readers(v, k, "")
	g.readers(v, k, "old")
	g.comparison(v)
	if k.GroupKind == linkstate.VirtualMachine.GroupKind {
		g.running(v)
	}
	g.settings(v, "params")
	g.pluginSupport(v)
	if err := g.rules(v, k); err != nil {
		return nil, nil, err
	}
	policy := func(action, list string) (*admissionregistrationv1.ValidatingAdmissionPolicy, error) {
		check := g.findingsCheck(list)
		vars, err := v.take(check.Expression, check.MessageExpression)
		if err != nil {
			return nil, err
		}
		return &admissionregistrationv1.ValidatingAdmissionPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
			ObjectMeta: g.policyMeta(g.policyName(k, action)),
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				ParamKind:        paramKind,
				MatchConstraints: matchKind(k, admissionregistrationv1.Create, admissionregistrationv1.Update),
				MatchConditions:  []admissionregistrationv1.MatchCondition{interfacesChanged(k)},
				FailurePolicy:    g.opts.failurePolicy(),
				Variables:        toVariables(vars),
				Validations:      []admissionregistrationv1.Validation{check},
			},
		}, nil
	}
	if deny, err = policy("deny", "denial"); err != nil {
		return nil, nil, err
	}
	if warn, err = policy("warn", "warning"); err != nil {
		return nil, nil, err
	}
	return deny, warn, nil
}

// interfacesChanged skips updates that leave the interfaces and networks alone, as the
// webhooks' matchConditions do: they cannot break a rule (updates judge only what changed),
// and KubeVirt's VMI, which has no status subresource, is updated often for its status.
func interfacesChanged(k linkstate.Kind) admissionregistrationv1.MatchCondition {
	root, old := specRoot(k, "object"), specRoot(k, "oldObject")
	return admissionregistrationv1.MatchCondition{
		Name: "interfaces-or-networks-changed",
		Expression: fmt.Sprintf("request.operation != 'UPDATE' ||\n%s.?domain.?devices.?interfaces.orValue([]) != %s.?domain.?devices.?interfaces.orValue([]) ||\n"+
			"%s.?networks.orValue([]) != %s.?networks.orValue([])", root, old, root, old),
	}
}

func toVariables(vars []namedExpr) []admissionregistrationv1.Variable {
	out := make([]admissionregistrationv1.Variable, len(vars))
	for i, v := range vars {
		out[i] = admissionregistrationv1.Variable{Name: v.name, Expression: v.expr}
	}
	return out
}

// matchKind matches kind k's objects (not their subresources) on the given operations.
func matchKind(k linkstate.Kind, ops ...admissionregistrationv1.OperationType) *admissionregistrationv1.MatchResources {
	return &admissionregistrationv1.MatchResources{
		MatchPolicy: ptrTo(admissionregistrationv1.Equivalent),
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{
				Operations: ops,
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{k.GroupKind.Group},
					APIVersions: []string{"v1"},
					Resources:   []string{resource(k)},
					Scope:       ptrTo(admissionregistrationv1.NamespacedScope),
				},
			},
		}},
	}
}

// resource is kind k's resource name (KubeVirt's plurals are the kind, lower case, plus s).
func resource(k linkstate.Kind) string { return strings.ToLower(k.GroupKind.Kind) + "s" }
