{{/* Names, labels and shared fragments. */}}

{{- define "linkstate-webhook.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of every object. Installed as release "linkstate-webhook" in namespace
"linkstate-webhook-system", the chart produces the names config/ (kustomize) uses.
*/}}
{{- define "linkstate-webhook.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "linkstate-webhook.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "linkstate-webhook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "linkstate-webhook.imageTag" . | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selects the webhook pods; the same labels as config/ plus the release. */}}
{{- define "linkstate-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "linkstate-webhook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end }}

{{- define "linkstate-webhook.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "linkstate-webhook.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "linkstate-webhook.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "linkstate-webhook.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "linkstate-webhook.imageTag" .) }}
{{- end }}
{{- end }}

{{/* The Secret the pods mount: tls.crt and tls.key (and ca.crt, except maybe in secret mode). */}}
{{- define "linkstate-webhook.tlsSecretName" -}}
{{- if eq .Values.tls.mode "secret" }}
{{- required "tls.secret.name is required when tls.mode is secret" .Values.tls.secret.name }}
{{- else }}
{{- printf "%s-tls" (include "linkstate-webhook.fullname" .) }}
{{- end }}
{{- end }}

{{/* The cert-manager Certificate whose CA cainjector copies into the webhook configurations. */}}
{{- define "linkstate-webhook.servingCertificateName" -}}
{{- printf "%s-serving-cert" (include "linkstate-webhook.fullname" .) }}
{{- end }}

{{/* The names the API server may use for the webhook Service: the serving certificate's SANs. */}}
{{- define "linkstate-webhook.dnsNames" -}}
{{- $service := printf "%s.%s.svc" (include "linkstate-webhook.fullname" .) .Release.Namespace }}
- {{ $service }}
- {{ $service }}.cluster.local
{{- end }}

{{/*
The namespaces every webhook skips: kube-system, the release's own namespace (so a broken
webhook never blocks its own repair) and namespaces that opted out with the label
linkstate.kubevirt.io/webhook=disabled. .Values.namespaceSelector is added to it (AND).
*/}}
{{- define "linkstate-webhook.namespaceSelector" -}}
{{- with .Values.namespaceSelector.matchLabels }}
matchLabels:
  {{- toYaml . | nindent 2 }}
{{- end }}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: [kube-system, {{ .Release.Namespace }}]
  - key: linkstate.kubevirt.io/webhook
    operator: NotIn
    values: [disabled]
  {{- with .Values.namespaceSelector.matchExpressions }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/*
The fields every webhook shares. Called with (dict "root" $ "path" PATH "caBundle" CA).
*/}}
{{- define "linkstate-webhook.webhookCommon" -}}
admissionReviewVersions: [v1]
clientConfig:
  service:
    name: {{ include "linkstate-webhook.fullname" .root }}
    namespace: {{ .root.Release.Namespace }}
    path: {{ .path }}
  {{- with .caBundle }}
  caBundle: {{ . }}
  {{- end }}
matchPolicy: Equivalent
sideEffects: None
failurePolicy: {{ .root.Values.failurePolicy }}
timeoutSeconds: {{ .root.Values.timeoutSeconds }}
namespaceSelector:
  {{- include "linkstate-webhook.namespaceSelector" .root | nindent 2 }}
{{- with .root.Values.objectSelector }}
objectSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Helm-generated TLS (tls.mode=helm), as the data of a kubernetes.io/tls Secret: ca.crt,
tls.crt, tls.key, base64. An existing Secret is reused, so `helm upgrade` keeps the CA the
webhook configurations trust. The Secret's name follows the Service's (both derive from the
fullname), so a renamed Service always gets a certificate for its new name. `lookup` needs
a cluster: `helm template` and client-side dry runs always generate new ones.
*/}}
{{- define "linkstate-webhook.generatedTLS" -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "linkstate-webhook.tlsSecretName" .) }}
{{- $data := dig "data" dict $existing }}
{{- if and (index $data "ca.crt") (index $data "tls.crt") (index $data "tls.key") }}
ca.crt: {{ index $data "ca.crt" }}
tls.crt: {{ index $data "tls.crt" }}
tls.key: {{ index $data "tls.key" }}
{{- else }}
{{- $dnsNames := include "linkstate-webhook.dnsNames" . | fromYamlArray }}
{{- $days := int .Values.tls.helm.validityDays }}
{{- $ca := genCA (printf "%s-ca" (include "linkstate-webhook.fullname" .)) $days }}
{{- $cert := genSignedCert (first $dnsNames) nil $dnsNames $days $ca }}
ca.crt: {{ $ca.Cert | b64enc }}
tls.crt: {{ $cert.Cert | b64enc }}
tls.key: {{ $cert.Key | b64enc }}
{{- end }}
{{- end }}

{{- /*
Kubernetes >= 1.30: webhook matchConditions and the preStop sleep action are on by default.
Not a kubeVersion in Chart.yaml: `helm template` without --kube-version renders for Helm's
built-in v1.20.0 and would refuse every GitOps render of the chart. The check runs where the
version is real: against a cluster (lookup answers there, never in `helm template`), or when
a version was given with --kube-version. "-0" lets pre-release and vendor builds match.
*/ -}}
{{- define "linkstate-webhook.requireKubernetes" -}}
{{- $version := .Capabilities.KubeVersion.Version }}
{{- $againstCluster := not (empty (lookup "v1" "Namespace" "" "kube-system")) }}
{{- if and (or $againstCluster (ne $version "v1.20.0")) (not (semverCompare ">=1.30.0-0" $version)) }}
{{- fail (printf "linkstate-webhook needs Kubernetes >= 1.30 (webhook matchConditions, the preStop sleep action), not %s" $version) }}
{{- end }}
{{- end }}

{{- /* Whether the webhook runs (admission.mode webhook or both): "true", or empty. */ -}}
{{- define "linkstate-webhook.webhookEnabled" -}}
{{- if ne .Values.admission.mode "cel" }}true{{ end }}
{{- end }}

{{- /*
The admission policies (admission.mode cel or both) need the ValidatingAdmissionPolicy API
(v1) with the CEL of Kubernetes >= 1.33 (two-variable comprehensions: the API server compiles
new expressions with the previous minor's CEL), and unless admission.mutating is false the
MutatingAdmissionPolicy API (v1beta1: Kubernetes >= 1.34, feature gate and runtime-config).
The APIs are checked in .Capabilities.APIVersions: the cluster's on install and upgrade, what
--api-versions lists with `helm template` (GitOps tools pass the cluster's). The version is
checked where it is real, as in linkstate-webhook.requireKubernetes.
*/ -}}
{{- define "linkstate-webhook.requireAdmissionPolicies" -}}
{{- $version := .Capabilities.KubeVersion.Version }}
{{- $againstCluster := not (empty (lookup "v1" "Namespace" "" "kube-system")) }}
{{- if and (or $againstCluster (ne $version "v1.20.0")) (not (semverCompare ">=1.33.0-0" $version)) }}
{{- fail (printf "admission.mode=%s needs Kubernetes >= 1.33 (the policies' CEL uses two-variable comprehensions), not %s: use admission.mode=webhook" .Values.admission.mode $version) }}
{{- end }}
{{- if not (.Capabilities.APIVersions.Has "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy") }}
{{- fail (printf "admission.mode=%s needs the ValidatingAdmissionPolicy API (admissionregistration.k8s.io/v1, Kubernetes >= 1.30), which this cluster does not serve. With helm template, pass --api-versions admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy" .Values.admission.mode) }}
{{- end }}
{{- if and .Values.admission.mutating (not (.Capabilities.APIVersions.Has "admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy")) }}
{{- fail (printf "admission.mode=%s needs the MutatingAdmissionPolicy API (admissionregistration.k8s.io/v1beta1), which this cluster does not serve: it takes Kubernetes >= 1.34 with --feature-gates=MutatingAdmissionPolicy=true and --runtime-config=admissionregistration.k8s.io/v1beta1=true on the API server. Set admission.mutating=false to install without defaulting (states stay as written). With helm template, pass --api-versions admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy" .Values.admission.mode) }}
{{- end }}
{{- end }}
