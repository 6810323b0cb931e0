package cel

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The settings operators change at runtime live in a ConfigMap, the policies' params: a
// ConfigMap needs no CRD installed first (so one `kubectl apply` of the generated YAML
// works, and the chart needs no crds/ directory), everyone knows how to edit one, and the
// guard policy below makes the API server refuse a ConfigMap the rules could not read. Its
// keys are the names of the chart's values and, in camelCase, of `webhook serve`'s flags.
const (
	keyPasstBinding       = "passtBinding"
	keySupportedPlugins   = "supportedPlugins"
	keyUnsupportedPlugins = "unsupportedPlugins"
	keyUnknownPlugins     = "unknownPlugins"
)

var paramKeys = []string{keyPasstBinding, keySupportedPlugins, keyUnsupportedPlugins, keyUnknownPlugins}

// paramKind is what every policy is parameterised with.
var paramKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}

// paramNotFound is what a binding does when the params ConfigMap is missing: deny. The
// policies cannot know which plugins are supported without it, and letting everything
// through unjudged would make deleting one ConfigMap a way around every rule; the webhooks
// fail closed too (failurePolicy: Fail).
var paramNotFound = admissionregistrationv1.DenyAction

func (g *generator) paramsName() string { return g.opts.Prefix + "-cel-params" }

// params is the ConfigMap holding the runtime settings, as Options.Config has them.
func (g *generator) params() *corev1.ConfigMap {
	var supported, unsupported []string
	for name, s := range g.opts.Config.Plugins {
		switch s {
		case linkstate.PluginSupported:
			supported = append(supported, name)
		case linkstate.PluginUnsupported:
			unsupported = append(unsupported, name)
		}
	}
	slices.Sort(supported)
	slices.Sort(unsupported)
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: g.meta(g.paramsName(), g.opts.Namespace),
		Data: map[string]string{
			keyPasstBinding:       string(g.opts.Config.PasstBinding),
			keySupportedPlugins:   strings.Join(supported, ","),
			keyUnsupportedPlugins: strings.Join(unsupported, ","),
			keyUnknownPlugins:     string(g.opts.Config.UnknownPlugins),
		},
	}
}

// settings defines the variables that read the settings from a ConfigMap's data (src is
// "params", or "object" for the guard): the plugin lists are comma-separated, read as
// `webhook serve` reads its list flags (blanks trimmed, empty entries ignored).
//
//	supportedPlugins, unsupportedPlugins   the lists
//	passtWarn     passtBinding is warn (anything else denies: fail closed)
//	unknownDeny   unknownPlugins is not warn (anything but warn denies)
func (g *generator) settings(v *variables, src string) {
	def := linkstate.DefaultConfig()
	list := func(key string) string {
		return fmt.Sprintf("%s.?data.?%s.orValue('').split(',').map(p, p.trim()).filter(p, p != '')", src, key)
	}
	v.add("supportedPlugins", list(keySupportedPlugins))
	v.add("unsupportedPlugins", list(keyUnsupportedPlugins))
	v.add("passtWarn", fmt.Sprintf("%s.?data.?%s.orValue(%s) == %s", src, keyPasstBinding, lit(string(def.PasstBinding)), lit(string(linkstate.ActionWarn))))
	v.add("unknownDeny", fmt.Sprintf("%s.?data.?%s.orValue(%s) != %s", src, keyUnknownPlugins, lit(string(def.UnknownPlugins)), lit(string(linkstate.ActionWarn))))
}

// pluginSupport defines, per interface, what the settings say of its plugin
// (linkstate.Config.Plugin): supported, unsupported, unknown; ” for other bindings. A
// plugin in both lists counts as unsupported, as `webhook serve` would have it (which
// refuses such lists; the guard refuses such a ConfigMap).
func (g *generator) pluginSupport(v *variables) {
	v.add("pluginSupport", fmt.Sprintf("variables.ifaces.transformList(x, i,\n  variables.bindingKinds[x] != %s ? '' :\n  "+
		"variables.bindingNames[x] in variables.unsupportedPlugins ? %s :\n  variables.bindingNames[x] in variables.supportedPlugins ? %s :\n  %s)",
		lit(string(linkstate.BindingPlugin)), lit(string(linkstate.PluginUnsupported)), lit(string(linkstate.PluginSupported)), lit(string(linkstate.PluginUnknown))))
}

// guard is the policy that keeps the params ConfigMap readable: known keys only, each
// action deny or warn, no plugin both supported and unsupported. Its texts are those of
// `webhook serve` for the same mistakes in its flags.
func (g *generator) guard() (*admissionregistrationv1.ValidatingAdmissionPolicy, error) {
	v := newVariables()
	g.settings(v, "object")
	v.add("unknownKeys", fmt.Sprintf("object.?data.orValue({}).filter(k, !(k in %s))", listLit(paramKeys)))
	v.add("inBoth", "variables.supportedPlugins.filter(p, p in variables.unsupportedPlugins)")

	var validations []admissionregistrationv1.Validation
	keysMsg := fmt.Sprintf("data: the keys read are %s, not ", strings.Join(paramKeys, ", "))
	validations = append(validations, admissionregistrationv1.Validation{
		Expression:        "size(variables.unknownKeys) == 0",
		MessageExpression: concat(lit(keysMsg), "variables.unknownKeys.join(', ')"),
		Reason:            ptrTo(metav1.StatusReasonInvalid),
	})
	for _, key := range []string{keyPasstBinding, keyUnknownPlugins} {
		_, err := linkstate.ParseAction(tokValue)
		if err == nil {
			return nil, fmt.Errorf("linkstate.ParseAction accepts %q", tokValue)
		}
		value := fmt.Sprintf("object.?data.?%s.orValue(%s)", key, lit(string(linkstate.ActionDeny)))
		msg, ferr := fill("data."+key+": "+err.Error(), hole{`"` + tokValue + `"`, quote(value)})
		if ferr != nil {
			return nil, ferr
		}
		validations = append(validations, admissionregistrationv1.Validation{
			Expression:        fmt.Sprintf("%s in %s", value, listLit([]string{string(linkstate.ActionDeny), string(linkstate.ActionWarn)})),
			MessageExpression: msg.String(),
			Reason:            ptrTo(metav1.StatusReasonInvalid),
		})
	}
	var probe linkstate.Config
	err := probe.SetPlugins([]string{tokValue}, []string{tokValue})
	if err == nil {
		return nil, fmt.Errorf("linkstate.Config.SetPlugins accepts a plugin in both lists")
	}
	bothMsg, err := fill("data: "+err.Error(), hole{tokValue, cat{"variables.inBoth.join(' ')"}})
	if err != nil {
		return nil, err
	}
	validations = append(validations, admissionregistrationv1.Validation{
		Expression:        "size(variables.inBoth) == 0",
		MessageExpression: bothMsg.String(),
		Reason:            ptrTo(metav1.StatusReasonInvalid),
	})

	var exprs []string
	for _, val := range validations {
		exprs = append(exprs, val.Expression, val.MessageExpression)
	}
	vars, err := v.take(exprs...)
	if err != nil {
		return nil, err
	}
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: g.meta(g.paramsName(), ""),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: g.opts.failurePolicy(),
			MatchConstraints: &admissionregistrationv1.MatchResources{
				MatchPolicy: ptrTo(admissionregistrationv1.Equivalent),
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					ResourceNames: []string{g.paramsName()},
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
						Rule: admissionregistrationv1.Rule{
							APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"},
							Scope: ptrTo(admissionregistrationv1.NamespacedScope),
						},
					},
				}},
			},
			Variables:   toVariables(vars),
			Validations: validations,
		},
	}, nil
}

func ptrTo[T any](v T) *T { return &v }
