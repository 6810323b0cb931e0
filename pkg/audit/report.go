package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// How the scanner's Reports are recognised and described.
const (
	// Source is the OpenReports source of every result: Policy Reporter groups by it.
	Source = "linkstate-webhook"
	// Category is every result's category.
	Category = "KubeVirt link state"
	// ManagedByLabel marks the Reports this service writes (value Source): it lists and
	// deletes only those, never another tool's.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// KindLabel says which kind of object a Report is about (VirtualMachine or
	// VirtualMachineInstance), for `kubectl get reports -l`.
	KindLabel = "linkstate.kubevirt.io/subject-kind"
	// HashAnnotation is a digest of what the Report says (its results without their
	// timestamps, and whom they are about): an unchanged verdict is never written again,
	// and a new leader knows what is stored from a metadata-only list.
	HashAnnotation = "linkstate.kubevirt.io/results-hash"
	// FieldProperty is the result property naming the field a finding is about.
	FieldProperty = "field"
)

// ReportName is the name of the Report about an object of kind k named name, in the
// object's namespace: "linkstate-vm-<name>" or "linkstate-vmi-<name>". A name too long
// for that is cut and made unique again with a digest of the whole.
func ReportName(k linkstate.Kind, name string) string {
	prefix := "linkstate-vmi-"
	if k.GroupKind == linkstate.VirtualMachine.GroupKind {
		prefix = "linkstate-vm-"
	}
	full := prefix + name
	if len(full) <= validation.DNS1123SubdomainMaxLength {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	digest := hex.EncodeToString(sum[:])[:16]
	cut := full[:validation.DNS1123SubdomainMaxLength-len(digest)-1]
	// A DNS subdomain's labels end in an alphanumeric character.
	cut = strings.TrimRight(cut, ".-")
	return cut + "-" + digest
}

// reference is the object reference a Report's scope and its results' subjects carry.
func reference(s *Subject) corev1.ObjectReference {
	return corev1.ObjectReference{
		APIVersion: v1.GroupVersion.String(),
		Kind:       s.Kind.GroupKind.Kind,
		Namespace:  s.Namespace,
		Name:       s.Name,
		UID:        s.UID,
	}
}

// BuildReport is the Report about s with its results (sorted, non-empty), found at found.
// It is owner-referenced to s, so the garbage collector removes it with the object even
// while no replica scans.
func BuildReport(s *Subject, results []Result, found time.Time) *reportsv1alpha1.Report {
	ref := reference(s)
	r := &reportsv1alpha1.Report{
		TypeMeta: metav1.TypeMeta{APIVersion: reportsv1alpha1.SchemeGroupVersion.String(), Kind: "Report"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        ReportName(s.Kind, s.Name),
			Namespace:   s.Namespace,
			Labels:      map[string]string{ManagedByLabel: Source, KindLabel: s.Kind.GroupKind.Kind},
			Annotations: map[string]string{HashAnnotation: Hash(s, results)},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: ref.APIVersion, Kind: ref.Kind, Name: ref.Name, UID: ref.UID,
			}},
		},
		Source:  Source,
		Scope:   &ref,
		Results: make([]reportsv1alpha1.ReportResult, 0, len(results)),
	}
	stamp := metav1.Timestamp{Seconds: found.Unix(), Nanos: int32(found.Nanosecond())}
	for _, res := range results {
		out := reportsv1alpha1.ReportResult{
			Source:      Source,
			Policy:      res.Policy,
			Rule:        res.Rule,
			Category:    Category,
			Timestamp:   stamp,
			Result:      reportsv1alpha1.Result(res.Result),
			Scored:      true,
			Subjects:    []corev1.ObjectReference{ref},
			Description: res.Message,
		}
		if res.Field != "" {
			out.Properties = map[string]string{FieldProperty: res.Field}
		}
		switch res.Result {
		case Fail:
			r.Summary.Fail++
		case Warn:
			r.Summary.Warn++
		}
		r.Results = append(r.Results, out)
	}
	return r
}

// Hash is the digest of what a Report about s with results says, timestamps aside: the
// object (its UID included: a recreated object gets a new owner reference) and the sorted
// results.
func Hash(s *Subject, results []Result) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	// Encoding plain structs of strings cannot fail.
	_ = enc.Encode(reference(s))
	_ = enc.Encode(results)
	return hex.EncodeToString(h.Sum(nil))[:32]
}
