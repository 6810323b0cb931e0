package migration

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
)

var annotationsPath = field.NewPath("metadata", "annotations")

// VerifyUpdate is rule M2 on update: the owned annotations are immutable — changed, added
// or removed, they are refused.
func VerifyUpdate(annotations, old map[string]string) finding.Findings {
	var fs finding.Findings
	for _, key := range Owned {
		v, ok := annotations[key]
		oldV, oldOK := old[key]
		if v != oldV || ok != oldOK {
			fs = append(fs, finding.Deny(finding.RuleMigrationStamp, field.Forbidden(annotationsPath.Key(key), msgStampImmutable)))
		}
	}
	return fs
}

// VerifyCreate is rule M2 on create for a stamp that is not signed by this service: each
// stamped annotation present must equal what the mutating reviewer stamps from the VMI now
// (want; nil when the VMI does not exist), so a requester cannot forge it by bypassing the
// mutating webhook. The signature annotation itself is not compared: an unsigned stamp
// that tells the truth is harmless.
func VerifyCreate(annotations map[string]string, vmiName string, want *Stamp) finding.Findings {
	var fs finding.Findings
	for _, key := range []string{AnnotationInterfaces, AnnotationObserved} {
		v, ok := annotations[key]
		switch {
		case !ok:
		case want == nil:
			fs = append(fs, finding.Deny(finding.RuleMigrationStamp, field.Forbidden(annotationsPath.Key(key), fmt.Sprintf(msgStampNoVMI, vmiName))))
		case v != want.Annotations()[key]:
			fs = append(fs, finding.Deny(finding.RuleMigrationStamp, field.Invalid(annotationsPath.Key(key), v, fmt.Sprintf(msgStampForged, vmiName, want.Annotations()[key]))))
		}
	}
	return fs
}

// ClaimsStamp reports whether any stamped annotation is present.
func ClaimsStamp(annotations map[string]string) bool {
	_, interfaces := annotations[AnnotationInterfaces]
	_, observed := annotations[AnnotationObserved]
	return interfaces || observed
}
