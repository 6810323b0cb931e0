// Command typecheck type-checks admission policies against the schemas a running API
// server publishes, with the checker kube-controller-manager's policy status controller
// uses for the warnings it writes to a ValidatingAdmissionPolicy's status.typeChecking.
// envtest runs no controller manager, so the CEL policy tests (test/cel) run this instead.
//
//	typecheck --kubeconfig FILE < policies.yaml
//
// It checks more than the controller, which checks the validations only: every variable and
// match condition too, and the variables and match conditions of MutatingAdmissionPolicies
// (their JSONPatch expressions are the API server's to compile: the checker knows no
// JSONPatch type). And it checks each expression with the variables it uses written out in
// place: the checker gives a variable holding objects (a list of interfaces) the type dyn,
// so a misspelt field read through a variable — `variables.ifaces.map(i, i.stat)` — would
// pass otherwise. One level is written out, which types every object read through a
// variable defined on the object itself, as the generated policies read them.
//
// It reads a YAML stream and prints one JSON object per policy:
// {"policy": KIND/NAME, "warnings": [{"fieldRef": ..., "warning": ...}]}. Exit status 0
// when it could check them all (with or without warnings), 1 otherwise.
//
// It is a module of its own so that k8s.io/apiserver, which the checker lives in, and its
// dependencies stay out of linkstate-webhook's go.mod.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	admissionregistrationv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/cel/openapi/resolver"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

type result struct {
	Policy   string                                      `json:"policy"`
	Warnings []admissionregistrationv1.ExpressionWarning `json:"warnings"`
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server whose schemas to check against")
	flag.Parse()
	if err := run(*kubeconfig, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "typecheck:", err)
		os.Exit(1)
	}
}

func run(kubeconfig string, in io.Reader, out io.Writer) error {
	if kubeconfig == "" {
		return errors.New("--kubeconfig is required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil {
		return err
	}
	checker := validating.TypeChecker{
		SchemaResolver: &resolver.ClientDiscoveryResolver{Discovery: dc},
		RestMapper:     restmapper.NewDiscoveryRESTMapper(groups),
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return err
		}
		var policy admissionregistrationv1.ValidatingAdmissionPolicy
		switch meta.Kind {
		case "ValidatingAdmissionPolicy":
			if err := yaml.UnmarshalStrict(doc, &policy); err != nil {
				return err
			}
		case "MutatingAdmissionPolicy":
			if policy, err = asValidating(doc); err != nil {
				return err
			}
		default:
			continue
		}
		warnings := check(&checker, &policy)
		if err := enc.Encode(result{Policy: meta.Kind + "/" + policy.Name, Warnings: warnings}); err != nil {
			return err
		}
	}
}

// check is what the status controller checks (the validations), plus every variable and
// match condition.
func check(checker *validating.TypeChecker, policy *admissionregistrationv1.ValidatingAdmissionPolicy) []admissionregistrationv1.ExpressionWarning {
	warnings := []admissionregistrationv1.ExpressionWarning{}
	ctx := checker.CreateContext(policy)
	defined := map[string]string{}
	inline := func(expr string) string {
		return variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
			if def, ok := defined[variableRef.FindStringSubmatch(ref)[1]]; ok {
				return "(" + def + ")"
			}
			return ref
		})
	}
	// An expression with its variables written out fails wherever the expression itself
	// would, and more: checking that one is enough.
	more := func(ref *field.Path, expr string) {
		if results := checker.CheckExpression(ctx, inline(expr)); len(results) > 0 {
			warnings = append(warnings, admissionregistrationv1.ExpressionWarning{FieldRef: ref.String(), Warning: results.String()})
		}
	}
	for i, v := range policy.Spec.Variables {
		more(field.NewPath("spec", "variables").Index(i).Child("expression"), v.Expression)
		defined[v.Name] = v.Expression
	}
	for i, c := range policy.Spec.MatchConditions {
		more(field.NewPath("spec", "matchConditions").Index(i).Child("expression"), c.Expression)
	}
	for i, v := range policy.Spec.Validations {
		more(field.NewPath("spec", "validations").Index(i).Child("expression"), v.Expression)
		if v.MessageExpression != "" {
			more(field.NewPath("spec", "validations").Index(i).Child("messageExpression"), v.MessageExpression)
		}
	}
	return warnings
}

var variableRef = regexp.MustCompile(`\bvariables\.([A-Za-z_][A-Za-z0-9_]*)`)

// asValidating reads a MutatingAdmissionPolicy (v1beta1) as a validating one with the
// same matches, params, variables and match conditions, and no validations: what the
// checker can check of it.
func asValidating(doc []byte) (admissionregistrationv1.ValidatingAdmissionPolicy, error) {
	var m admissionregistrationv1beta1.MutatingAdmissionPolicy
	if err := yaml.UnmarshalStrict(doc, &m); err != nil {
		return admissionregistrationv1.ValidatingAdmissionPolicy{}, err
	}
	// The shared fields have the same JSON form in both versions.
	var shared struct {
		Spec struct {
			ParamKind        *admissionregistrationv1.ParamKind       `json:"paramKind,omitempty"`
			MatchConstraints *admissionregistrationv1.MatchResources  `json:"matchConstraints,omitempty"`
			Variables        []admissionregistrationv1.Variable       `json:"variables,omitempty"`
			MatchConditions  []admissionregistrationv1.MatchCondition `json:"matchConditions,omitempty"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(doc, &shared); err != nil {
		return admissionregistrationv1.ValidatingAdmissionPolicy{}, err
	}
	p := admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: m.ObjectMeta}
	p.Spec.ParamKind = shared.Spec.ParamKind
	p.Spec.MatchConstraints = shared.Spec.MatchConstraints
	p.Spec.Variables = shared.Spec.Variables
	p.Spec.MatchConditions = shared.Spec.MatchConditions
	return p, nil
}
