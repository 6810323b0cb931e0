package cel

import (
	"fmt"
	"reflect"
	"strings"

	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// bindingField is one member of a KubeVirt interface that names its binding, and what
// linkstate.ClassifyBinding makes of an interface with that member set.
type bindingField struct {
	json    string
	binding linkstate.Binding
}

// bindingFields lists every binding member of KubeVirt's Interface, in the order of its
// Go type: the members of InterfaceBindingMethod, then the plugin's `binding`. Each is
// classified by ClassifyBinding itself; a member it does not know is an error, so a
// binding added to kubevirt.io/api cannot slip past the policies unjudged.
func bindingFields() ([]bindingField, error) {
	var fields []bindingField
	methods := reflect.TypeOf(v1.InterfaceBindingMethod{})
	for i := range methods.NumField() {
		f := methods.Field(i)
		if f.Type.Kind() != reflect.Pointer {
			return nil, fmt.Errorf("InterfaceBindingMethod.%s is not a pointer: not a binding this generator understands", f.Name)
		}
		var iface v1.Interface
		reflect.ValueOf(&iface.InterfaceBindingMethod).Elem().Field(i).Set(reflect.New(f.Type.Elem()))
		b := linkstate.ClassifyBinding(&iface)
		if b.Kind == linkstate.BindingNone || b.Kind == linkstate.BindingAmbiguous {
			return nil, fmt.Errorf("linkstate.ClassifyBinding does not know the binding InterfaceBindingMethod.%s", f.Name)
		}
		fields = append(fields, bindingField{json: jsonName(f), binding: b})
	}
	plugin, ok := reflect.TypeOf(v1.Interface{}).FieldByName("Binding")
	if !ok {
		return nil, fmt.Errorf("kubevirt.io/api's Interface has no Binding (plugin) field")
	}
	b := linkstate.ClassifyBinding(&v1.Interface{Binding: &v1.PluginBinding{Name: "p"}})
	if b.Kind != linkstate.BindingPlugin {
		return nil, fmt.Errorf("linkstate.ClassifyBinding reads Interface.Binding as %s, not a plugin", b.Kind)
	}
	return append(fields, bindingField{json: jsonName(plugin), binding: linkstate.Binding{Kind: linkstate.BindingPlugin}}), nil
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// The printable statuses KubeVirt gives a VM (kubevirt.io/api). Which of them count as
// running is linkstate.VMStatusRunning's answer, not this list's.
var printableStatuses = []v1.VirtualMachinePrintableStatus{
	v1.VirtualMachineStatusStopped, v1.VirtualMachineStatusProvisioning, v1.VirtualMachineStatusStarting,
	v1.VirtualMachineStatusRunning, v1.VirtualMachineStatusPaused, v1.VirtualMachineStatusStopping,
	v1.VirtualMachineStatusTerminating, v1.VirtualMachineStatusCrashLoopBackOff, v1.VirtualMachineStatusMigrating,
	v1.VirtualMachineStatusUnknown, v1.VirtualMachineStatusUnschedulable, v1.VirtualMachineStatusErrImagePull,
	v1.VirtualMachineStatusImagePullBackOff, v1.VirtualMachineStatusPvcNotFound, v1.VirtualMachineStatusDataVolumeError,
	v1.VirtualMachineStatusWaitingForVolumeBinding, v1.VirtualMachineStatusWaitingForReceiver,
}

// runningStatuses are the printable statuses with which linkstate.VMStatusRunning calls a
// VM running by themselves.
func runningStatuses() []string {
	var out []string
	for _, s := range printableStatuses {
		if linkstate.VMStatusRunning(false, false, s) {
			out = append(out, string(s))
		}
	}
	return out
}
