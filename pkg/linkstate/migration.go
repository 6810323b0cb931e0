package linkstate

import (
	"encoding/json"
	"fmt"

	v1 "kubevirt.io/api/core/v1"
)

// The annotations stamped on a VirtualMachineInstanceMigration (rule M1). Each value is a
// JSON object, interface name -> state, with keys in sorted order.
const (
	// AnnotationInterfaces holds the desired state of every interface of the VMI spec when
	// the migration was created: canonical spelling, empty read as up, absent kept.
	AnnotationInterfaces = "linkstate.kubevirt.io/interfaces"
	// AnnotationObserved holds status.interfaces[].linkState of the interfaces that report
	// one (SR-IOV and interfaces without a guest agent report none).
	AnnotationObserved = "linkstate.kubevirt.io/observed"
)

// StampedAnnotations lists the annotations this service owns on migrations.
var StampedAnnotations = []string{AnnotationInterfaces, AnnotationObserved}

// VirtualMachineInstanceMigrationKind is the migration's group and kind.
var VirtualMachineInstanceMigrationKind = v1.VirtualMachineInstanceMigrationGroupVersionKind.GroupKind()

// Migration is the part of a VMIM the migration rules read.
type Migration struct {
	Namespace, Name string
	VMIName         string
	Annotations     map[string]string
}

// DecodeMigration reads a VirtualMachineInstanceMigration from its JSON.
func DecodeMigration(raw []byte) (*Migration, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("no %s in the request", VirtualMachineInstanceMigrationKind.Kind)
	}
	var doc struct {
		Metadata struct {
			Name         string            `json:"name"`
			GenerateName string            `json:"generateName"`
			Namespace    string            `json:"namespace"`
			Annotations  map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			VMIName string `json:"vmiName"`
		} `json:"spec"`
	}
	if err := unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", VirtualMachineInstanceMigrationKind.Kind, err)
	}
	m := &Migration{Namespace: doc.Metadata.Namespace, Name: doc.Metadata.Name, VMIName: doc.Spec.VMIName, Annotations: doc.Metadata.Annotations}
	if m.Name == "" {
		m.Name = doc.Metadata.GenerateName
	}
	return m, nil
}

// MigrationStamp is what rule M1 stamps on a migration of vmi: annotation -> JSON value.
func MigrationStamp(vmi *Object, d Dialect) map[string]string {
	desired := make(map[string]string, len(vmi.Spec.Domain.Devices.Interfaces))
	for _, iface := range vmi.Spec.Domain.Devices.Interfaces {
		desired[iface.Name] = string(d.Resolve(iface.State))
	}
	observed := map[string]string{}
	for _, s := range vmi.Status {
		if s.Name != "" && s.LinkState != "" {
			observed[s.Name] = s.LinkState
		}
	}
	return map[string]string{AnnotationInterfaces: jsonObject(desired), AnnotationObserved: jsonObject(observed)}
}

// jsonObject renders a string map as a JSON object; encoding/json sorts the keys, which
// makes the stamp deterministic.
func jsonObject(m map[string]string) string {
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return string(raw)
}
