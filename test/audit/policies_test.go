package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
)

// An Audit-mode LinkStatePolicy added over VMs the built-in rules find nothing against:
// its results appear in their Reports, as what it would deny, and its status counts them
// and names the offenders; a VM fixed leaves both; the policy deleted, its results go.
func TestPolicyResultsFollowThePolicy(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, true)
	down := newVM(ns, "sec-down", Ifaces(Masquerade("default", ""), Bridge("sec", "linkDown")), Pod("default"), Multus("sec"))
	unplugged := newVM(ns, "sec-absent", Ifaces(Masquerade("default", ""), Bridge("sec", "absent")), Pod("default"), Multus("sec"))
	up := newVM(ns, "sec-up", Ifaces(Masquerade("default", ""), Bridge("sec", "linkUp")), Pod("default"), Multus("sec"))
	create(t, down, unplugged, up)
	// The built-in rules allow all three: no Report (the scan has judged them once the
	// gauge of scanned objects counts them; a Report would have been written by then).
	waitScanned(t, ns)
	waitReports(t, ns, map[string][]result{})

	name := "audit-" + ns
	policy := &v1alpha1.LinkStatePolicy{}
	manifest := fmt.Sprintf(`
metadata: {name: %s}
spec:
  mode: Audit
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}
  allowedStates: [up]
  message: ask the network team`, name, ns)
	if err := yaml.UnmarshalStrict([]byte(manifest), policy); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, policy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), policy) })

	state := "spec.template.spec.domain.devices.interfaces[1].state"
	wantResult := func(vm, value, meaning string) []result {
		return []result{{Kind: "VirtualMachine", Name: vm, Policy: name, Rule: "L1", Result: "fail",
			Message: fmt.Sprintf(`%s: LinkStatePolicy %q (Audit): L1 would deny: state %q (%s) is not among the states this policy allows: up only; ask the network team`,
				state, name, value, meaning)}}
	}
	want := map[string][]result{
		"linkstate-vm-sec-down":   wantResult("sec-down", "linkDown", "link down"),
		"linkstate-vm-sec-absent": wantResult("sec-absent", "absent", "hot-unplug"),
	}
	waitReports(t, ns, want)
	waitPolicyStatus(t, name, 2, []v1alpha1.PolicyOffender{
		{Kind: "VirtualMachine", Namespace: ns, Name: "sec-absent", Rule: "L1"},
		{Kind: "VirtualMachine", Namespace: ns, Name: "sec-down", Rule: "L1"},
	})
	if cell, err := violationsColumn(t, name); err != nil || fmt.Sprint(cell) != "2" {
		t.Errorf("kubectl get linkstatepolicy %s: VIOLATIONS %v (%v), want 2", name, cell, err)
	}

	// Fixed: its result goes, from the Reports and from the policy's status.
	down.Spec.Template.Spec.Domain.Devices.Interfaces[1].State = "linkUp"
	if err := c.Update(ctx, down); err != nil {
		t.Fatal(err)
	}
	delete(want, "linkstate-vm-sec-down")
	waitReports(t, ns, want)
	waitPolicyStatus(t, name, 1, []v1alpha1.PolicyOffender{{Kind: "VirtualMachine", Namespace: ns, Name: "sec-absent", Rule: "L1"}})

	// The policy deleted: its results go.
	if err := c.Delete(ctx, policy); err != nil {
		t.Fatal(err)
	}
	waitReports(t, ns, map[string][]result{})
}

// waitScanned waits until a full scan that began after this call has ended, so that
// everything created before it has been judged.
func waitScanned(t *testing.T, ns string) {
	t.Helper()
	since := float64(time.Now().Unix())
	testwait.Until(t, "a full scan after the objects of "+ns+" were created", 30*time.Second, func() error {
		ended := scrape(t, metricsAddr, "linkstate_audit_last_scan_timestamp_seconds")[""]
		took := scrape(t, metricsAddr, "linkstate_audit_last_scan_seconds")[""]
		if ended-took <= since {
			return fmt.Errorf("the last full scan began at %.0f, not after %.0f", ended-took, since)
		}
		return nil
	})
}

// waitPolicyStatus waits until the policy's status says count violations, first among them.
func waitPolicyStatus(t *testing.T, name string, count int32, first []v1alpha1.PolicyOffender) {
	t.Helper()
	testwait.Until(t, "the status of LinkStatePolicy "+name, 30*time.Second, func() error {
		p := &v1alpha1.LinkStatePolicy{}
		if err := c.Get(context.Background(), types.NamespacedName{Name: name}, p); err != nil {
			return err
		}
		if p.Status.Violations == nil || *p.Status.Violations != count {
			return fmt.Errorf("violations %v, want %d", p.Status.Violations, count)
		}
		if diff := cmp.Diff(first, p.Status.Offenders); diff != "" {
			return fmt.Errorf("offenders (-want +got):\n%s", diff)
		}
		return nil
	})
}

// violationsColumn is what `kubectl get linkstatepolicy name` shows under VIOLATIONS: the
// API server's Table of the policy, as kubectl asks for it.
func violationsColumn(t *testing.T, name string) (any, error) {
	t.Helper()
	httpClient, err := rest.HTTPClientFor(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(env.Config.Host, "/")+"/apis/linkstate.kubevirt.io/v1alpha1/linkstatepolicies/"+name, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var table metav1.Table
	if err := json.Unmarshal(body, &table); err != nil {
		return nil, fmt.Errorf("%w: %s %s", err, env.Config.Host, body)
	}
	if len(table.Rows) != 1 {
		return nil, fmt.Errorf("%d rows", len(table.Rows))
	}
	for i, col := range table.ColumnDefinitions {
		if col.Name == "Violations" && i < len(table.Rows[0].Cells) {
			return table.Rows[0].Cells[i], nil
		}
	}
	return nil, fmt.Errorf("no Violations column in %+v", table.ColumnDefinitions)
}
