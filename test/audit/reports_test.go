package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/apimachinery/pkg/types"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
)

// The objects of the stories: what each one breaks.
func violators(ns string) (sriov, value, podDown, e1000, two, clean *v1.VirtualMachine, vmiValue *v1.VirtualMachineInstance) {
	sriov = newVM(ns, "sriov-down", Ifaces(Masquerade("default", ""), SRIOV("vf", "linkDown")), Pod("default"), Multus("vf"))
	value = newVM(ns, "bad-value", Ifaces(Masquerade("default", ""), Bridge("sec", "sideways")), Pod("default"), Multus("sec"))
	podDown = newVM(ns, "pod-down", Ifaces(Masquerade("default", "linkDown")), Pod("default"))
	e1000 = newVM(ns, "unplug-e1000", Ifaces(Masquerade("default", ""), WithModel(Bridge("sec", "absent"), "e1000")), Pod("default"), Multus("sec"))
	two = newVM(ns, "two-rules", Ifaces(Masquerade("default", "linkDown"), SRIOV("vf", "linkUp"), Bridge("sec", "Down")), Pod("default"), Multus("vf"), Multus("sec"))
	clean = newVM(ns, "clean", Ifaces(Masquerade("default", ""), Bridge("sec", "linkDown")), Pod("default"), Multus("sec"))
	vmiValue = newVMI(ns, "vmi-bad-value", Ifaces(Masquerade("default", ""), Bridge("sec", "off")), Pod("default"), Multus("sec"))
	return
}

// VMs and a VMI that admission would refuse or warn about, created where it does not
// look: each gets a Report naming every violation with its rule and admission's own
// words; a clean VM gets none. Then the Reports follow the objects: fixed, broken,
// deleted, and a Report deleted by hand comes back at the next full scan.
func TestReportsFollowTheObjects(t *testing.T) {
	ctx := context.Background()
	ns, judged := namespace(t, true), namespace(t, false)
	sriov, value, podDown, e1000, two, clean, vmiValue := violators(ns)
	want := map[string][]result{
		"linkstate-vm-sriov-down":     admissionSays(t, judged, sriov, "B1"),
		"linkstate-vm-bad-value":      admissionSays(t, judged, value, "V1"),
		"linkstate-vm-pod-down":       admissionSays(t, judged, podDown, "P1"),
		"linkstate-vm-unplug-e1000":   admissionSays(t, judged, e1000, "A1"),
		"linkstate-vm-two-rules":      admissionSays(t, judged, two, "B1", "V1", "P1"),
		"linkstate-vmi-vmi-bad-value": admissionSays(t, judged, vmiValue, "V1"),
	}
	admissionSays(t, judged, clean) // nothing to say
	create(t, sriov, value, podDown, e1000, two, clean, vmiValue)
	waitReports(t, ns, want)

	// Fixed: its Report goes.
	sriov.Spec.Template.Spec.Domain.Devices.Interfaces[1].State = ""
	if err := c.Update(ctx, sriov); err != nil {
		t.Fatal(err)
	}
	delete(want, "linkstate-vm-sriov-down")
	waitReports(t, ns, want)

	// Broken: its Report comes.
	clean.Spec.Template.Spec.Domain.Devices.Interfaces[1].State = "sideways"
	if err := c.Update(ctx, clean); err != nil {
		t.Fatal(err)
	}
	want["linkstate-vm-clean"] = admissionSays(t, judged, clean, "V1")
	waitReports(t, ns, want)

	// Deleted: its Report goes (the garbage collector would too, through the owner
	// reference; envtest runs none, so this is the scanner's doing).
	if err := c.Delete(ctx, value); err != nil {
		t.Fatal(err)
	}
	delete(want, "linkstate-vm-bad-value")
	waitReports(t, ns, want)

	// A Report deleted by hand comes back with the next full scan (every 3s here).
	var r reportsv1alpha1.Report
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "linkstate-vm-unplug-e1000"}, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.OwnerReferences) != 1 || r.OwnerReferences[0].UID != e1000.UID || r.OwnerReferences[0].Kind != "VirtualMachine" {
		t.Errorf("owner references %+v, want the VM (uid %s)", r.OwnerReferences, e1000.UID)
	}
	if err := c.Delete(ctx, &r); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the deleted Report is written again", 30*time.Second, func() error {
		var again reportsv1alpha1.Report
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: r.Name}, &again); err != nil {
			return err
		}
		if again.UID == r.UID {
			return fmt.Errorf("still the old Report")
		}
		return nil
	})
	waitReports(t, ns, want)
}

// The leader's gauges count the results it reports, by policy, rule and result.
func TestViolationGauges(t *testing.T) {
	ns := namespace(t, true)
	sriov, _, podDown, _, _, _, _ := violators(ns)
	before := scrape(t, metricsAddr, "linkstate_audit_violations")
	create(t, sriov, podDown)
	b1, p1 := `{policy="builtin",result="fail",rule="B1"}`, `{policy="builtin",result="warn",rule="P1"}`
	testwait.Until(t, "the gauges count the new violations", 30*time.Second, func() error {
		now := scrape(t, metricsAddr, "linkstate_audit_violations")
		if now[b1] != before[b1]+1 || now[p1] != before[p1]+1 {
			return fmt.Errorf("B1 %v → %v, P1 %v → %v", before[b1], now[b1], before[p1], now[p1])
		}
		return nil
	})
	if got := scrape(t, metricsAddr, "linkstate_audit_leader")[""]; got != 1 {
		t.Errorf("linkstate_audit_leader %v on the only replica, want 1", got)
	}
	testwait.Until(t, "a full scan is reported", 30*time.Second, func() error {
		if scrape(t, metricsAddr, "linkstate_audit_last_scan_timestamp_seconds")[""] == 0 {
			return fmt.Errorf("no full scan yet")
		}
		return nil
	})
}
