package ownertool

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	v1 "kubevirt.io/api/core/v1"
)

// TableOptions say which optional columns a table has.
type TableOptions struct {
	// WithObject adds a first column naming the VM or VMI: set when several are listed.
	WithObject bool
	// WithNamespace adds a NAMESPACE column before it (--all-namespaces).
	WithNamespace bool
}

// Table lays reports out one row per interface, for cli-runtime's table printer (the one
// kubectl uses). Columns with priority 1 are shown with -o wide only.
func Table(reports []Report, opts TableOptions) *metav1.Table {
	t := &metav1.Table{}
	var objectColumn string
	if len(reports) > 0 {
		objectColumn = reports[0].Kind
		if objectColumn == VM.GroupKind.Kind {
			objectColumn = "VM"
		} else {
			objectColumn = "VMI"
		}
	}
	if opts.WithNamespace {
		t.ColumnDefinitions = append(t.ColumnDefinitions, column("Namespace", 0, "The object's namespace."))
	}
	if opts.WithObject {
		t.ColumnDefinitions = append(t.ColumnDefinitions, column(objectColumn, 0, "The VM or VMI."))
	}
	t.ColumnDefinitions = append(t.ColumnDefinitions,
		column("Interface", 0, "The interface's name (spec...domain.devices.interfaces[].name)."),
		column("Binding", 0, "bridge, masquerade, sriov, passtBinding or a binding plugin's name."),
		column("Network", 0, "pod, or the Multus network the interface is attached to."),
		column("Desired", 0, "The state the spec asks for, canonical spelling; empty shown as up."),
		column("Reported", 0, "The VMI's status.interfaces[].linkState; - when not running or not reported."),
		column("In-Sync", 0, "Whether Reported matches Desired; - when that cannot be told."),
		column("Model", 1, "The vNIC model (virtio when empty)."),
		column("Stored", 1, "The state exactly as the spec holds it."),
		column("MAC", 1, "The MAC address the VMI reports."),
	)
	for _, r := range reports {
		for _, i := range r.Interfaces {
			var cells []any
			if opts.WithNamespace {
				cells = append(cells, r.Namespace)
			}
			if opts.WithObject {
				cells = append(cells, r.Name)
			}
			network := orDash(i.Network)
			if i.DefaultNetwork && i.Network != "pod" {
				network += " (default)"
			}
			model := i.Model
			if model == "" {
				model = v1.VirtIO
			}
			cells = append(cells, i.Name, i.Binding, network, orDash(string(i.Desired)),
				orDash(string(i.Reported)), inSync(i.InSync), model, orNone(string(i.Stored)), orDash(i.MAC))
			t.Rows = append(t.Rows, metav1.TableRow{Cells: cells})
		}
	}
	return t
}

func column(name string, priority int32, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "string", Priority: priority, Description: description}
}

func inSync(b *bool) string {
	switch {
	case b == nil:
		return "-"
	case *b:
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// orNone shows an empty stored state the way kubectl shows a missing value.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
