package migration

import (
	"encoding/json"
	"fmt"

	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/jsonprune"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The annotations stamped on a VirtualMachineInstanceMigration (rule M1). The first two
// hold a JSON object, interface name -> state, with keys in sorted order.
const (
	// AnnotationInterfaces holds the desired state of every interface of the VMI spec when
	// the migration was created: canonical spelling, empty read as up, absent kept.
	AnnotationInterfaces = "linkstate.kubevirt.io/interfaces"
	// AnnotationObserved holds status.interfaces[].linkState of the interfaces that report
	// one (SR-IOV and interfaces without a guest agent report none).
	AnnotationObserved = "linkstate.kubevirt.io/observed"
	// AnnotationSignature proves the two above were written by this service (see Signer).
	AnnotationSignature = "linkstate.kubevirt.io/signature"
)

// Owned lists the annotations this service owns on migrations: nobody else may change them.
var Owned = []string{AnnotationInterfaces, AnnotationObserved, AnnotationSignature}

// Kind is the migration's group and kind.
var Kind = v1.VirtualMachineInstanceMigrationGroupVersionKind.GroupKind()

// Migration is the part of a VMIM the migration rules read.
type Migration struct {
	Namespace, Name string
	VMIName         string
	Annotations     map[string]string
}

type document struct {
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

var decoder = jsonprune.NewDecoder[document]()

// Decode reads a VirtualMachineInstanceMigration from its JSON.
func Decode(raw []byte) (*Migration, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("no %s in the request", Kind.Kind)
	}
	var doc document
	if err := decoder.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", Kind.Kind, err)
	}
	m := &Migration{Namespace: doc.Metadata.Namespace, Name: doc.Metadata.Name, VMIName: doc.Spec.VMIName, Annotations: doc.Metadata.Annotations}
	if m.Name == "" {
		m.Name = doc.Metadata.GenerateName
	}
	return m, nil
}

// Stamp is what rule M1 stamps on a migration of vmi: the interfaces and observed
// annotations, by name. The signature is added by the mutating reviewer.
type Stamp struct {
	Interfaces, Observed string
}

// StampOf computes the stamp of a VMI in dialect d.
func StampOf(vmi *linkstate.Object, d linkstate.Dialect) Stamp {
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
	return Stamp{Interfaces: jsonObject(desired), Observed: jsonObject(observed)}
}

// Claimed is the stamp a migration carries in its annotations (empty strings where absent).
func Claimed(annotations map[string]string) Stamp {
	return Stamp{Interfaces: annotations[AnnotationInterfaces], Observed: annotations[AnnotationObserved]}
}

// Annotations are the stamp as annotations.
func (s Stamp) Annotations() map[string]string {
	return map[string]string{AnnotationInterfaces: s.Interfaces, AnnotationObserved: s.Observed}
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
