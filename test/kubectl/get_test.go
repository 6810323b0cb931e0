package kubectl

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

// The interfaces of the VMs most tests use: the pod network, a secondary bridge network,
// and an SR-IOV VF.
var webIfaces = []iface{
	{name: "default", binding: "masquerade", pod: true},
	{name: "blue", binding: "bridge", state: "linkDown"},
	{name: "fast", binding: "sriov"},
}

func TestGet(t *testing.T) {
	ns := namespace(t)
	createVM(t, ns, "web", webIfaces...)
	createVM(t, ns, "db", iface{name: "default", binding: "masquerade", pod: true})
	startVM(t, ns, "db")

	t.Run("a stopped VM: desired only", func(t *testing.T) {
		r := cli(t, "-n", ns, "get", "vm", "web")
		want := `INTERFACE   BINDING      NETWORK    DESIRED    REPORTED   IN-SYNC
default     masquerade   pod        linkUp     -          -
blue        bridge       blue-nad   linkDown   -          -
fast        sriov        fast-nad   linkUp     -          -
`
		r.expect(t, 0, nil, nil)
		if diff := cmp.Diff(want, r.stdout); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	})

	t.Run("a running VM: what its VMI reports", func(t *testing.T) {
		startVM(t, ns, "web")
		r := cli(t, "-n", ns, "get", "vm/web", "-o", "wide")
		want := `INTERFACE   BINDING      NETWORK    DESIRED    REPORTED   IN-SYNC   MODEL    STORED     MAC
default     masquerade   pod        linkUp     linkUp     yes       virtio   linkUp     02:a4:13:00:00:01
blue        bridge       blue-nad   linkDown   linkDown   yes       virtio   linkDown   02:a4:13:00:00:02
fast        sriov        fast-nad   linkUp     -          -         virtio   <none>     02:a4:13:00:00:03
`
		r.expect(t, 0, nil, nil)
		if diff := cmp.Diff(want, r.stdout); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	})

	t.Run("every VM of the namespace", func(t *testing.T) {
		r := cli(t, "get", "vms", "--namespace", ns)
		want := `VM    INTERFACE   BINDING      NETWORK    DESIRED    REPORTED   IN-SYNC
db    default     masquerade   pod        linkUp     linkUp     yes
web   default     masquerade   pod        linkUp     linkUp     yes
web   blue        bridge       blue-nad   linkDown   linkDown   yes
web   fast        sriov        fast-nad   linkUp     -          -
`
		r.expect(t, 0, nil, nil)
		if diff := cmp.Diff(want, r.stdout); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	})

	t.Run("a VMI", func(t *testing.T) {
		r := cli(t, "-n", ns, "get", "vmi", "web", "--no-headers")
		want := `default   masquerade   pod        linkUp     linkUp     yes
blue      bridge       blue-nad   linkDown   linkDown   yes
fast      sriov        fast-nad   linkUp     -          -
`
		r.expect(t, 0, nil, nil)
		if diff := cmp.Diff(want, r.stdout); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	})

	t.Run("json and yaml", func(t *testing.T) {
		r := cli(t, "-n", ns, "get", "vm", "web", "-o", "json")
		r.expect(t, 0, nil, nil)
		var fromJSON ownertool.Report
		if err := json.Unmarshal([]byte(r.stdout), &fromJSON); err != nil {
			t.Fatalf("-o json: %v\n%s", err, r.stdout)
		}
		if fromJSON.Name != "web" || fromJSON.Namespace != ns || !fromJSON.Running || fromJSON.Node != "node-1" ||
			len(fromJSON.Interfaces) != 3 || fromJSON.Interfaces[1].Reported != "linkDown" || !*fromJSON.Interfaces[1].InSync ||
			fromJSON.Interfaces[2].InSync != nil {
			t.Errorf("-o json: %+v", fromJSON)
		}
		r = cli(t, "-n", ns, "get", "vm", "-o", "yaml")
		r.expect(t, 0, nil, nil)
		var list struct{ Items []ownertool.Report }
		if err := yaml.Unmarshal([]byte(r.stdout), &list); err != nil {
			t.Fatalf("-o yaml: %v\n%s", err, r.stdout)
		}
		if len(list.Items) != 2 || list.Items[1].Name != "web" || list.Items[1].Interfaces[0].Desired != "linkUp" {
			t.Errorf("-o yaml: %+v", list)
		}
	})

	t.Run("all namespaces", func(t *testing.T) {
		r := cli(t, "get", "vm", "-A")
		r.expect(t, 0, nil, nil)
		// Other tests' namespaces are listed too, so the columns' widths vary: compare fields.
		lines := strings.Split(r.stdout, "\n")
		if got := strings.Fields(lines[0]); !cmp.Equal(got, []string{"NAMESPACE", "VM", "INTERFACE", "BINDING", "NETWORK", "DESIRED", "REPORTED", "IN-SYNC"}) {
			t.Errorf("header: %q", got)
		}
		want := strings.Join([]string{ns, "web", "blue", "bridge", "blue-nad", "linkDown", "linkDown", "yes"}, " ")
		found := false
		for _, l := range lines {
			found = found || strings.Join(strings.Fields(l), " ") == want
		}
		if !found {
			t.Errorf("no row %q in:\n%s", want, r.stdout)
		}
	})

	t.Run("nothing there", func(t *testing.T) {
		empty := namespace(t)
		cli(t, "-n", empty, "get", "vm").expect(t, 0, nil, []string{"No resources found in " + empty + " namespace."})
	})

	t.Run("errors in kubectl's words", func(t *testing.T) {
		r := cli(t, "-n", ns, "get", "vm", "nope")
		r.expect(t, 1, nil, []string{`Error from server (NotFound): virtualmachines.kubevirt.io "nope" not found`})
		r = cli(t, "-n", ns, "get", "pods")
		r.expect(t, 2, nil, []string{`error: unknown resource type "pods": use vm (VirtualMachine) or vmi (VirtualMachineInstance)`,
			"See 'kubectl linkstate get -h' for help and examples"})
		r = cli(t, "-n", ns, "get", "vm", "web", "-o", "table")
		r.expect(t, 2, nil, []string{`error: unknown output format "table"`})
		r = cli(t, "-n", ns, "get", "vm", "--bogus")
		r.expect(t, 2, nil, []string{"error: unknown flag: --bogus"})
	})
}
