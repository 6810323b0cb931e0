package ownertool

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/printers"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The table as kubectl's printer lays it out.
func TestTable(t *testing.T) {
	nets := []v1.Network{Pod("default"), Multus("blue"), Multus("fast")}
	web := vmObject("web", true, []v1.Interface{Masquerade("default", "linkUp"), Bridge("blue", "linkDown"), SRIOV("fast", "")}, nets...)
	webVMI := vmiObject("web", nil, []v1.VirtualMachineInstanceNetworkInterface{
		{Name: "default", LinkState: "up", MAC: "02:00:00:00:00:01"}, reports("blue", "up"), {Name: "fast"}})
	db := vmObject("db", false, []v1.Interface{WithModel(Bridge("blue", "down"), "e1000")}, Multus("blue"))
	all := []Report{BuildReport(web, webVMI, linkstate.Seed), BuildReport(db, nil, linkstate.Upstream)}

	print := func(reports []Report, opts TableOptions, wide bool) string {
		var b bytes.Buffer
		if err := printers.NewTablePrinter(printers.PrintOptions{Wide: wide}).PrintObj(Table(reports, opts), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	one := `INTERFACE   BINDING      NETWORK    DESIRED    REPORTED   IN-SYNC
default     masquerade   pod        linkUp     linkUp     yes
blue        bridge       blue-nad   linkDown   linkUp     no
fast        sriov        fast-nad   linkUp     -          -
`
	if diff := cmp.Diff(one, print(all[:1], TableOptions{}, false)); diff != "" {
		t.Errorf("one VM (-want +got):\n%s", diff)
	}
	wide := `NAMESPACE   VM    INTERFACE   BINDING      NETWORK    DESIRED    REPORTED   IN-SYNC   MODEL    STORED     MAC
ns          web   default     masquerade   pod        linkUp     linkUp     yes       virtio   linkUp     02:00:00:00:00:01
ns          web   blue        bridge       blue-nad   linkDown   linkUp     no        virtio   linkDown   -
ns          web   fast        sriov        fast-nad   linkUp     -          -         virtio   <none>     -
ns          db    blue        bridge       blue-nad   down       -          -         e1000    down       -
`
	if diff := cmp.Diff(wide, print(all, TableOptions{WithObject: true, WithNamespace: true}, true)); diff != "" {
		t.Errorf("wide, several VMs (-want +got):\n%s", diff)
	}
	vmis := Table([]Report{BuildReport(webVMI, webVMI, linkstate.Seed)}, TableOptions{WithObject: true})
	if got := vmis.ColumnDefinitions[0].Name; got != "VMI" {
		t.Errorf("object column of a VMI table: %q", got)
	}
	if got := print(nil, TableOptions{}, false); got != "" {
		t.Errorf("no reports printed %q", got)
	}
}
