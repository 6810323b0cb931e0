package linkstate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "kubevirt.io/api/core/v1"
)

func TestDecodeVM(t *testing.T) {
	raw := `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",
	  "metadata":{"name":"vm1","namespace":"ns","labels":{"tier":"prod"},"managedFields":[{"manager":"x"}]},
	  "spec":{"runStrategy":"Always","futureField":{"a":1},"template":{"metadata":{"labels":{"tier":"template"}},"spec":{
	    "domain":{"cpu":{"cores":2},"devices":{"disks":[{"name":"d"}],"interfaces":[
	      {"name":"default","masquerade":{},"state":"linkDown","unknownToTypes":true},
	      {"name":"sec","bridge":{},"model":"e1000","State":"ignored"}]}},
	    "networks":[{"name":"default","pod":{}},{"name":"sec","multus":{"networkName":"br","default":false}}],
	    "volumes":[{"name":"d","containerDisk":{"image":"x"}}]}}},
	  "status":{"created":true,"printableStatus":"Running"}}`
	obj, err := VirtualMachine.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	// The VM's own labels, which policies select on, not its template's.
	want := &Object{Kind: VirtualMachine, Namespace: "ns", Name: "vm1", Labels: map[string]string{"tier": "prod"}, Running: true}
	want.Spec.Domain.Devices.Interfaces = []v1.Interface{
		{Name: "default", State: "linkDown", InterfaceBindingMethod: v1.InterfaceBindingMethod{Masquerade: &v1.InterfaceMasquerade{}}},
		// "State" is not "state": the API server is case-sensitive, and so is Decode.
		{Name: "sec", Model: "e1000", InterfaceBindingMethod: v1.InterfaceBindingMethod{Bridge: &v1.InterfaceBridge{}}},
	}
	want.Spec.Networks = []v1.Network{
		{Name: "default", NetworkSource: v1.NetworkSource{Pod: &v1.PodNetwork{}}},
		{Name: "sec", NetworkSource: v1.NetworkSource{Multus: &v1.MultusNetwork{NetworkName: "br"}}},
	}
	if diff := cmp.Diff(want, obj, cmp.Comparer(func(a, b Kind) bool { return a.GroupKind == b.GroupKind })); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
}

func TestDecodeVMI(t *testing.T) {
	raw := `{"metadata":{"generateName":"vmi-","namespace":"ns","deletionTimestamp":"2026-01-01T00:00:00Z"},
	  "spec":{"domain":{"devices":{"interfaces":[{"name":"a","sriov":{}}]}},"networks":[{"name":"a","multus":{"networkName":"x"}}]},
	  "status":{"interfaces":[{"name":"a","linkState":"down"}]}}`
	obj, err := VirtualMachineInstance.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if obj.Name != "vmi-" || obj.Namespace != "ns" || !obj.Deleting || obj.Running {
		t.Errorf("metadata: got name %q namespace %q deleting %v running %v", obj.Name, obj.Namespace, obj.Deleting, obj.Running)
	}
	if n := len(obj.Spec.Domain.Devices.Interfaces); n != 1 || obj.Spec.Domain.Devices.Interfaces[0].SRIOV == nil {
		t.Errorf("interfaces: got %+v", obj.Spec.Domain.Devices.Interfaces)
	}
}

func TestDecodeVMWithoutTemplate(t *testing.T) {
	obj, err := VirtualMachine.Decode([]byte(`{"metadata":{"name":"x"},"spec":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(obj.Spec.Domain.Devices.Interfaces) != 0 || len(obj.Spec.Networks) != 0 {
		t.Errorf("want an empty spec, got %+v", obj.Spec)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := map[string]struct {
		kind Kind
		raw  string
		want string
	}{
		"empty":            {VirtualMachine, ``, "no VirtualMachine in the request"},
		"not JSON":         {VirtualMachine, `{"spec":`, "cannot read VirtualMachine"},
		"array":            {VirtualMachineInstance, `[1,2]`, "cannot read VirtualMachineInstance"},
		"state not string": {VirtualMachineInstance, `{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","state":5}]}}}}`, "cannot read VirtualMachineInstance"},
		"networks object":  {VirtualMachine, `{"spec":{"template":{"spec":{"networks":{"a":1}}}}}`, "cannot read VirtualMachine"},
		"unknown kind":     {Kind{GroupKind: v1.VirtualMachineInstanceMigrationGroupVersionKind.GroupKind()}, `{}`, "is not decoded here"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := tc.kind.Decode([]byte(tc.raw))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestVMStatusRunning(t *testing.T) {
	tests := []struct {
		created, ready bool
		printable      v1.VirtualMachinePrintableStatus
		want           bool
	}{
		{false, false, "", false},
		{false, false, v1.VirtualMachineStatusStopped, false},
		{false, false, v1.VirtualMachineStatusProvisioning, false},
		{true, false, v1.VirtualMachineStatusStarting, true},
		{false, true, "", true},
		{false, false, v1.VirtualMachineStatusRunning, true},
		{false, false, v1.VirtualMachineStatusPaused, true},
		{false, false, v1.VirtualMachineStatusMigrating, true},
	}
	for _, tc := range tests {
		if got := VMStatusRunning(tc.created, tc.ready, tc.printable); got != tc.want {
			t.Errorf("VMStatusRunning(created=%v, ready=%v, %q) = %v, want %v", tc.created, tc.ready, tc.printable, got, tc.want)
		}
	}
}

func TestStatePointer(t *testing.T) {
	if got := VirtualMachine.StatePointer(3); got != "/spec/template/spec/domain/devices/interfaces/3/state" {
		t.Errorf("VM StatePointer = %q", got)
	}
	if got := VirtualMachineInstance.StatePointer(0); got != "/spec/domain/devices/interfaces/0/state" {
		t.Errorf("VMI StatePointer = %q", got)
	}
}
