package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

var annotationsPath = field.NewPath("metadata", "annotations")

// MigrationUpdate is rule M2 on update: the stamped annotations are immutable — changed,
// added or removed, they are refused.
func MigrationUpdate(annotations, old map[string]string) Findings {
	var fs Findings
	for _, key := range linkstate.StampedAnnotations {
		v, ok := annotations[key]
		oldV, oldOK := old[key]
		if v != oldV || ok != oldOK {
			fs = append(fs, deny(RuleMigrationStamp, field.Forbidden(annotationsPath.Key(key), msgStampImmutable)))
		}
	}
	return fs
}

// MigrationCreate is rule M2 on create: a stamped annotation present on the new migration
// must equal what the mutating webhook stamps from the VMI (stamp; nil when the VMI does
// not exist), so a requester cannot forge it by bypassing the mutating webhook.
func MigrationCreate(annotations map[string]string, vmiName string, stamp map[string]string) Findings {
	var fs Findings
	for _, key := range linkstate.StampedAnnotations {
		v, ok := annotations[key]
		switch {
		case !ok:
		case stamp == nil:
			fs = append(fs, deny(RuleMigrationStamp, field.Forbidden(annotationsPath.Key(key), fmt.Sprintf(msgStampNoVMI, vmiName))))
		case v != stamp[key]:
			fs = append(fs, deny(RuleMigrationStamp, field.Invalid(annotationsPath.Key(key), v, fmt.Sprintf(msgStampForged, vmiName, stamp[key]))))
		}
	}
	return fs
}

// HasStamp reports whether any stamped annotation is present.
func HasStamp(annotations map[string]string) bool {
	for _, key := range linkstate.StampedAnnotations {
		if _, ok := annotations[key]; ok {
			return true
		}
	}
	return false
}
