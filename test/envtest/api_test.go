package envtest

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Server-side dry run gets the same mutation and the same verdicts, and stores nothing.
func TestServerSideDryRun(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	good := object(t, ns, vm("dry", []iface{{name: "sec", binding: "bridge"}}, []network{{"sec", "multus"}}))
	if err := c.Create(ctx, good, client.DryRunAll); err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	// The response carries the object as it would be stored: mutated.
	if got := states(t, good)["sec"]; got != "linkUp" {
		t.Errorf("dry-run response state %q, want linkUp", got)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(vmGVK)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "dry"}, u); !apierrors.IsNotFound(err) {
		t.Errorf("dry run stored the VM: get = %v", err)
	}
	bad := object(t, ns, vm("dry-bad", []iface{{name: "vf", binding: "sriov", state: "linkDown"}}, []network{{"vf", "multus"}}))
	invalid(t, c.Create(ctx, bad, client.DryRunAll), map[string]string{"spec.template.spec.domain.devices.interfaces[0].state": "SR-IOV"})
}

// Fields the webhook's Go types do not know survive mutation: the patch only touches states.
// Only a field the CRD schema keeps can be tested through the API server; KubeVirt's schema
// preserves unknown fields under spec.template.metadata, and the webhook's decoding shapes
// know nothing of most of the spec (disks, volumes, resources, clock) either.
func TestUnknownFieldsSurviveMutation(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	manifest := `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: keep-fields
  labels: {app: demo}
  annotations: {note: kept}
spec:
  runStrategy: Halted
  template:
    metadata:
      labels: {kubevirt.io/vm: keep-fields}
      futureMetadataField: {kept: true}
    spec:
      domain:
        clock:
          timer: {hpet: {present: false}}
          futureClockField: 42
        cpu: {cores: 2}
        devices:
          disks:
          - name: root
            disk: {bus: virtio}
          interfaces:
          - name: default
            masquerade: {}
            macAddress: "02:00:00:00:00:01"
            ports: [{port: 80}]
          - name: sec
            bridge: {}
            dhcpOptions: {bootFileName: boot.ipxe}
        resources:
          requests: {memory: 128Mi}
      networks:
      - name: default
        pod: {}
      - name: sec
        multus: {networkName: br1}
      volumes:
      - name: root
        containerDisk: {image: quay.io/containerdisks/fedora:40}
`
	obj := object(t, ns, manifest)
	if err := c.Create(ctx, obj); err != nil {
		t.Fatalf("create: %v", err)
	}
	stored := get(t, vmGVK, ns, "keep-fields")
	// The API server kept these (KubeVirt's schema preserves unknown fields there), so a
	// patch that dropped them would show.
	for _, path := range [][]string{
		{"spec", "template", "metadata", "futureMetadataField", "kept"},
		{"spec", "template", "spec", "domain", "clock", "futureClockField"},
	} {
		if _, found, _ := unstructured.NestedFieldNoCopy(stored.Object, path...); !found {
			t.Errorf("%v was not stored", path)
		}
	}
	want := object(t, ns, manifest)
	// What the webhook changed: the two states. Everything else must be as sent.
	setStates(t, want, map[string]string{"default": "linkUp", "sec": "linkUp"})
	for _, path := range [][]string{
		{"spec", "template", "metadata"},
		{"spec", "template", "spec", "domain", "clock"},
		{"spec", "template", "spec", "domain", "devices"},
		{"spec", "template", "spec", "networks"},
		{"spec", "template", "spec", "volumes"},
		{"spec", "runStrategy"},
		{"metadata", "labels"},
		{"metadata", "annotations"},
	} {
		got, _, _ := unstructured.NestedFieldNoCopy(stored.Object, path...)
		exp, _, _ := unstructured.NestedFieldNoCopy(want.Object, path...)
		if !equalJSON(t, got, exp) {
			t.Errorf("%v: stored %v, want %v", path, got, exp)
		}
	}
}

// Namespaces labelled linkstate.kubevirt.io/webhook=disabled are left alone, as the shipped
// namespaceSelector promises.
func TestOptOutNamespace(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "opted-out", Labels: map[string]string{"linkstate.kubevirt.io/webhook": "disabled"}}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	obj := object(t, ns.Name, vm("untouched", []iface{{name: "vf", binding: "sriov", state: "linkDown"}, {name: "br", binding: "bridge"}},
		[]network{{"vf", "multus"}, {"br", "multus"}}))
	if err := c.Create(ctx, obj); err != nil {
		t.Fatalf("create in an opted-out namespace: %v", err)
	}
	if got := states(t, get(t, vmGVK, ns.Name, "untouched")); got["br"] != "" {
		t.Errorf("opted-out VM was mutated: states %v", got)
	}
}
