package check

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gomodjsonpatch "gomodules.xyz/jsonpatch/v2"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
)

// A migration is stamped from the VMI found in the same input, as it would be stored.
func TestRunMigrations(t *testing.T) {
	const input = `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstanceMigration
metadata: {name: mig-before-vmi, namespace: prod}
spec: {vmiName: vm1}
---
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: vm1, namespace: prod}
spec:
  domain:
    devices:
      interfaces:
      - {name: default, masquerade: {}}
      - {name: sec, bridge: {}, state: down}
  networks:
  - {name: default, pod: {}}
  - {name: sec, multus: {networkName: br}}
---
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstanceMigration
metadata:
  name: mig-forged
  namespace: prod
  annotations: {linkstate.kubevirt.io/interfaces: '{"sec":"linkUp"}'}
spec: {vmiName: vm1}
---
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstanceMigration
metadata: {name: mig-elsewhere, namespace: other}
spec: {vmiName: vm1}
`
	docs, err := Parse("in.yaml", strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	results, skipped := Run(docs, linkstate.DefaultConfig())
	if len(results) != 4 || len(skipped) != 0 {
		t.Fatalf("results %d, skipped %d; want 4 and 0", len(results), len(skipped))
	}
	// The VMI as stored: default defaulted to linkUp, "down" rewritten to linkDown.
	stamp := map[string]string{
		migration.AnnotationInterfaces: `{"default":"linkUp","sec":"linkDown"}`,
		migration.AnnotationObserved:   `{}`,
	}
	want := []Result{
		{Kind: "VirtualMachineInstanceMigration", Namespace: "prod", Name: "mig-before-vmi", Allowed: true, source: "in.yaml#1",
			Causes: []Cause{}, Warnings: []string{},
			Patch: []gomodjsonpatch.Operation{{Operation: "add", Path: "/metadata/annotations", Value: stamp}}},
		results[1], // the VMI, covered elsewhere
		{Kind: "VirtualMachineInstanceMigration", Namespace: "prod", Name: "mig-forged", Allowed: true, source: "in.yaml#3",
			Causes: []Cause{}, Warnings: []string{},
			Patch: []gomodjsonpatch.Operation{
				{Operation: "add", Path: "/metadata/annotations/linkstate.kubevirt.io~1interfaces", Value: stamp[migration.AnnotationInterfaces]},
				{Operation: "add", Path: "/metadata/annotations/linkstate.kubevirt.io~1observed", Value: stamp[migration.AnnotationObserved]},
			}},
		{Kind: "VirtualMachineInstanceMigration", Namespace: "other", Name: "mig-elsewhere", Allowed: true, source: "in.yaml#4",
			Causes:   []Cause{},
			Warnings: []string{`VMI "vm1" not found in namespace "other": link states are not stamped on this migration`},
			Patch:    []gomodjsonpatch.Operation{}},
	}
	if diff := cmp.Diff(want, results, cmp.AllowUnexported(Result{})); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}
