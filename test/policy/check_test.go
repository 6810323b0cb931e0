package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/check"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// `check` given the Namespaces, LinkStatePolicies and VMs a GitOps repository would hold
// gives every VM the verdict the cluster gives it, to the letter: each create is sent to
// the API server (through the real webhooks) as a tenant, as an exempt bot, and the same
// manifests are checked offline as those users.
func TestCheckGivesTheWebhooksVerdicts(t *testing.T) {
	tenantNS := namespace(t, map[string]string{"tenant": "true"})
	prodNS := namespace(t, map[string]string{"environment": "production", "tenant": "true"})
	otherNS := namespace(t, nil)

	var manifests []string
	for _, ns := range []string{tenantNS, prodNS, otherNS} {
		manifests = append(manifests, fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels: %s\n",
			ns, namespaceLabels(t, ns)))
	}
	for _, sample := range []string{"tenants-keep-pod-network.yaml", "production-no-hot-unplug.yaml", "storage-warn-first.yaml"} {
		raw, err := os.ReadFile(filepath.Join(harness.Root(), "config", "samples", sample))
		if err != nil {
			t.Fatal(err)
		}
		manifests = append(manifests, string(raw))
	}
	manifests = append(manifests,
		`{apiVersion: linkstate.kubevirt.io/v1alpha1, kind: LinkStatePolicy, metadata: {name: parity-audit}, spec: {mode: Audit, allowedStates: [up]}}`,
		`{apiVersion: linkstate.kubevirt.io/v1alpha1, kind: LinkStatePolicy, metadata: {name: parity-rules}, spec: {rules: {B3: Warn, P1: Deny}, objectSelector: {matchLabels: {strict: "yes"}}}}`,
	)
	for _, m := range manifests[3:] {
		apply(t, m)
	}

	vms := []string{
		vm("plain", nil, podNIC(""), secondary("sec", "", "frontend")),
		vm("pod-down", nil, podNIC("linkDown"), secondary("sec", "", "frontend")),
		vm("sec-down", nil, podNIC(""), secondary("sec", "down", "frontend")),
		vm("unplug", nil, podNIC(""), secondary("sec", "absent", "frontend")),
		vm("storage-down", nil, podNIC(""), secondary("st", "linkDown", "storage")),
		vm("strict", map[string]string{"strict": "yes"}, podNIC("linkDown"), nic{"p", "passtBinding", "linkDown", "frontend"}),
		vm("sriov", nil, podNIC(""), nic{"vf", "sriov", "linkDown", "sriov-net"}),
	}
	var docs []check.Document
	for _, m := range manifests {
		d, err := check.Parse("policies.yaml", strings.NewReader(m))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d...)
	}
	type key struct{ user, ns, name string }
	cluster := map[key]verdict{}
	for _, u := range []envtest.User{alice, bot} {
		for _, ns := range []string{tenantNS, prodNS, otherNS} {
			for i, m := range vms {
				name := fmt.Sprintf("vm%d", i)
				if u.Name == bot.Name {
					name = fmt.Sprintf("bot%d", i)
				}
				obj := object(t, ns, m)
				obj.SetName(name)
				raw, err := obj.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				cluster[key{u.Name, ns, name}] = create(t, u, ns, string(raw), false)
				if u.Name == alice.Name { // bot's VMs are checked with the same documents, renamed
					d, err := check.Parse(ns+"/"+name, strings.NewReader(string(raw)))
					if err != nil {
						t.Fatal(err)
					}
					docs = append(docs, d...)
				}
			}
		}
	}

	for _, u := range []envtest.User{alice, bot} {
		// The groups the API server gives every authenticated user, as it did above.
		groups := append(append([]string{}, u.Groups...), "system:authenticated")
		report := check.RunWith(rename(t, docs, u), linkstate.DefaultConfig(), check.Options{User: u.Name, Groups: groups})
		checked := 0
		for _, r := range report.Results {
			if r.Kind != "VirtualMachine" {
				if !r.Allowed || len(r.Warnings) > 0 {
					t.Errorf("check refuses or warns about %s %s, which the API server stored: %+v", r.Kind, r.Name, r)
				}
				continue
			}
			checked++
			want, ok := cluster[key{u.Name, r.Namespace, r.Name}]
			if !ok {
				t.Fatalf("check judged %s/%s, which was not sent to the cluster", r.Namespace, r.Name)
			}
			if want.Other != "" {
				t.Errorf("%s/%s as %s: the cluster answered %s", r.Namespace, r.Name, u.Name, want.Other)
			}
			got := verdict{Denied: !r.Allowed, Warnings: r.Warnings}
			for _, c := range r.Causes {
				got.Causes = append(got.Causes, c.Field+": "+c.Message)
			}
			if len(got.Warnings) == 0 {
				got.Warnings = nil
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s/%s as %s: check differs from the webhook (-cluster +check):\n%s", r.Namespace, r.Name, u.Name, diff)
			}
		}
		if checked != 3*len(vms) {
			t.Errorf("check judged %d VMs as %s, want %d", checked, u.Name, 3*len(vms))
		}
	}
	// The test means something only if the input gets every kind of verdict.
	var denials, warned, clean int
	for _, v := range cluster {
		switch {
		case v.Denied:
			denials++
		case len(v.Warnings) > 0:
			warned++
		default:
			clean++
		}
	}
	if denials == 0 || warned == 0 || clean == 0 {
		t.Errorf("verdicts: %d denied, %d warned, %d clean; want some of each", denials, warned, clean)
	}
}

// namespaceLabels are a namespace's labels as the cluster has them, as YAML flow.
func namespaceLabels(t *testing.T, ns string) string {
	t.Helper()
	out, err := kubectl(t, asAdmin, "", "get", "namespace", ns, "-o", "jsonpath={.metadata.labels}")
	if err != nil {
		t.Fatalf("kubectl get namespace: %v\n%s", err, out)
	}
	return out
}

// rename gives the VM documents the names the bot's copies had in the cluster.
func rename(t *testing.T, docs []check.Document, u envtest.User) []check.Document {
	t.Helper()
	if u.Name != bot.Name {
		return docs
	}
	var out []check.Document
	for _, d := range docs {
		if d.Kind == "VirtualMachine" {
			renamed := strings.Replace(string(d.Raw), `"name":"vm`, `"name":"bot`, 1)
			parsed, err := check.Parse(d.Source, strings.NewReader(renamed))
			if err != nil {
				t.Fatal(err)
			}
			d = parsed[0]
		}
		out = append(out, d)
	}
	return out
}
