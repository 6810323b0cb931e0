// Package cel generates linkstate-webhook's rules as Kubernetes admission policies written
// in CEL: ValidatingAdmissionPolicies for the validating rules a single object decides (V1,
// B1, B3, B4, A1, A2, P1, T1, T2), MutatingAdmissionPolicies for the defaulting (D1, D2),
// their bindings, and the ConfigMap of settings operators change at runtime. The API server
// then applies the rules itself: no webhook pod on the path of a VM create, no TLS.
//
// The policies say what the webhook says. They are built from the same definitions: the
// dialect's spellings come from linkstate.Dialect, the bindings from linkstate.ClassifyBinding
// over KubeVirt's own types, the texts from validate.Texts, and the way a field error, a
// warning and a list of them are printed from apimachinery's own formatting. What cannot be
// shared — the rules' logic, now in CEL — is held to the webhook case by case through a real
// API server (test/cel) over the rule table of pkg/validate.
//
// What CEL cannot do: the migration rules (M1, M2) read the VMI a migration names, another
// object than the one admitted, which admission policies cannot; and a mutating policy has
// no warnings, so D2's "stored as" warning is the webhook's alone. docs/cel.md has the details.
package cel
