package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LinkStatePolicy adds rules of a cluster operator to the webhook's built-in ones, for the
// VirtualMachines and VirtualMachineInstances it selects: which link states tenants may
// set, which networks' links they may not take down, and how strictly some built-in rules
// apply. Several policies may select the same object; for each finding the strictest
// effect wins. See docs/policy.md.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=lsp
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`,description="Enforce, Warn or Audit"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,description="whether the webhook applies the policy"
// +kubebuilder:printcolumn:name="Violations",type=integer,JSONPath=`.status.violations`,description="standing VMs' and VMIs' findings of this policy, as the background scan last counted them"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type LinkStatePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says what the policy selects and what it allows.
	Spec LinkStatePolicySpec `json:"spec"`
	// Status says whether the webhook applies the policy.
	// +optional
	Status LinkStatePolicyStatus `json:"status,omitempty"`
}

// LinkStatePolicySpec is what a policy selects and what it allows.
type LinkStatePolicySpec struct {
	// Mode is what a finding of this policy does: Enforce denies the request, Warn admits it
	// with a warning, Audit admits it silently and records the finding (an audit annotation
	// in the API server's audit log, the webhook's metrics and log).
	// +kubebuilder:default=Enforce
	// +optional
	Mode Mode `json:"mode,omitempty"`

	// NamespaceSelector selects the namespaces whose VMs and VMIs the policy applies to, by
	// the namespaces' labels. Omitted or empty: every namespace.
	// +optional
	NamespaceSelector *LabelSelector `json:"namespaceSelector,omitempty"`

	// ObjectSelector selects VMs and VMIs by their own labels (metadata.labels; for a VM not
	// its template's). On update the old and the new labels are tried, as the API server
	// does for a webhook's objectSelector, so removing a label does not escape the policy.
	// Omitted or empty: every VM and VMI.
	// +optional
	ObjectSelector *LabelSelector `json:"objectSelector,omitempty"`

	// AllowedStates are the link states tenants may set, by meaning, whatever the cluster's
	// spelling (linkDown and down are both down). An empty state and up are always allowed:
	// they mean the same, and the mutating webhook writes up for an empty state. [up]
	// therefore allows neither down nor absent. Omitted: all three.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="allowedStates must list at least one state: [up] allows neither down nor absent; omit allowedStates to allow all three"
	AllowedStates []State `json:"allowedStates,omitempty"`

	// ProtectedNetworks are networks whose interfaces' links may be neither taken down nor
	// unplugged (state down or absent). "pod" is the VM's default network: the pod
	// network, or a Multus network with default: true. Any other entry is a Multus
	// networkName, "name" (a network attachment definition in the VM's own namespace) or
	// "namespace/name", compared as KubeVirt resolves the VM's networkName.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	ProtectedNetworks []NetworkName `json:"protectedNetworks,omitempty"`

	// Rules change the effect of built-in rules, by rule ID (the README's rule tables),
	// for the objects this policy selects: Deny or Warn. B3, B4, P1, T1 and T2 may be made
	// stricter or more lenient; V1, B1, A1 and A2 always deny. Where several policies set
	// the same rule, the strictest wins. Only Enforce-mode policies change effects; an
	// Audit-mode policy records where it would.
	// +optional
	// +kubebuilder:validation:MaxProperties=9
	// +kubebuilder:validation:XValidation:rule="self.all(id, id in ['V1', 'B1', 'B3', 'B4', 'A1', 'A2', 'P1', 'T1', 'T2'])",message="unknown rule ID: rules may name only V1, B1, B3, B4, A1, A2, P1, T1 and T2, the built-in rules whose effect a policy can set"
	// +kubebuilder:validation:XValidation:rule="self.all(id, !(id in ['V1', 'B1', 'A1', 'A2']) || self[id] == 'Deny')",message="V1, B1, A1 and A2 cannot be relaxed: they always deny, because KubeVirt would reject or mishandle what they refuse; set them to Deny or leave them out"
	Rules map[string]Effect `json:"rules,omitempty"`

	// Exemptions are requesters this policy does not apply to: their requests are judged by
	// the built-in rules and the other policies only.
	// +optional
	Exemptions *Exemptions `json:"exemptions,omitempty"`

	// Message is appended to this policy's denials and warnings, for example whom to ask
	// for an exception.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// Mode is what a policy's findings do at admission.
// +kubebuilder:validation:Enum=Enforce;Warn;Audit
type Mode string

const (
	// ModeEnforce denies requests the policy finds against.
	ModeEnforce Mode = "Enforce"
	// ModeWarn admits them with a warning.
	ModeWarn Mode = "Warn"
	// ModeAudit admits them silently; the findings are recorded.
	ModeAudit Mode = "Audit"
)

// State is the meaning of a link state, in either dialect's spelling.
// +kubebuilder:validation:Enum=up;down;absent
type State string

const (
	StateUp     State = "up"
	StateDown   State = "down"
	StateAbsent State = "absent"
)

// NetworkName is "pod" for the default network, or a Multus networkName: "name" or
// "namespace/name".
// +kubebuilder:validation:MaxLength=317
// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="an empty entry protects nothing: name pod (the default network) or a Multus network (name, or namespace/name)"
// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$')",messageExpression=`"'" + self + "' must be pod (the default network) or a Multus network as a networkName names it: name (in the namespace of the VM) or namespace/name, in lower case"`
type NetworkName string

// Effect is what a built-in rule's finding does inside a policy's scope.
// +kubebuilder:validation:Enum=Deny;Warn
type Effect string

const (
	EffectDeny Effect = "Deny"
	EffectWarn Effect = "Warn"
)

// Exemptions name requesters as the API server authenticates them.
type Exemptions struct {
	// Users are user names, for example system:serviceaccount:netops:bot.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	Users []string `json:"users,omitempty"`
	// Groups are group names, for example netops or system:serviceaccounts:netops.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	Groups []string `json:"groups,omitempty"`
}

// LinkStatePolicyStatus says whether the webhook applies the policy.
type LinkStatePolicyStatus struct {
	// ObservedGeneration is the generation of the spec the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready is True (reason Accepted) when the webhook applies the policy, False
	// (reason Invalid) when it cannot and why.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Violations is how many findings of this policy the background scan (serve --audit,
	// docs/audit.md) counts against the VMs and VMIs that exist now, whatever the mode:
	// one per finding. Absent while no replica scans.
	// +optional
	Violations *int32 `json:"violations,omitempty"`
	// Offenders are the first of them (at most 10), by namespace, name, kind and rule; the
	// Reports (kubectl get reports -A) list them all.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	Offenders []PolicyOffender `json:"offenders,omitempty"`
}

// PolicyOffender is a VM or VMI a policy finds against.
type PolicyOffender struct {
	// Kind is VirtualMachine or VirtualMachineInstance.
	Kind string `json:"kind"`
	// Namespace and Name name the object.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Rule is the rule the policy finds against it (L1, L2, or a built-in rule it sets).
	Rule string `json:"rule"`
}

// The Ready condition.
const (
	ConditionReady = "Ready"
	ReasonAccepted = "Accepted"
	ReasonInvalid  = "Invalid"
)

// LinkStatePolicyList is a list of LinkStatePolicies.
//
// +kubebuilder:object:root=true
type LinkStatePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LinkStatePolicy `json:"items"`
}
