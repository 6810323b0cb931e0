package harness

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	admissionregistrationv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PinConfigMapParams creates a validating and (with mutating) a mutating admission policy
// that take ConfigMap params and never act — they match one ConfigMap name nobody writes —
// for callers that never delete them. Kubernetes (1.34; kubernetes/kubernetes#130887) stops
// its informer of a built-in paramKind for good once no binding names that kind, and from
// then on finds no params, or stale ones, for every policy created later, until the API
// server restarts (docs/cel.md). Tests and benchmarks that install and remove the generated
// policies over and over pin one binding of each plugin naming ConfigMap first.
func PinConfigMapParams(ctx context.Context, c client.Client, mutating bool) error {
	const name = "linkstate-test-pin"
	never := admissionregistrationv1.NamedRuleWithOperations{
		ResourceNames: []string{name + "-never-written"},
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
		},
	}
	params := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault}}
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
				PolicyName:        name,
				ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
				ParamRef:          &admissionregistrationv1.ParamRef{Name: name, Namespace: params.Namespace, ParameterNotFoundAction: ptr.To(admissionregistrationv1.AllowAction)},
			},
		},
	}
	if mutating {
		objs = append(objs,
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
			})
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("pinning the ConfigMap param informers: %w", err)
		}
	}
	return nil
}
