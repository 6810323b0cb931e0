package chart

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

const optOutLabel = "linkstate.kubevirt.io/webhook"

// optOutIdentities are the users and groups the rendered guard of the opt-out label allows:
// its variables are CEL list literals, written as JSON arrays of strings.
func optOutIdentities(t *testing.T, objs objects, fullname string) (users, groups []string) {
	t.Helper()
	policy := decode[admissionregistrationv1.ValidatingAdmissionPolicy](t, objs.get(t, "ValidatingAdmissionPolicy", fullname+"-optout"))
	binding := decode[admissionregistrationv1.ValidatingAdmissionPolicyBinding](t, objs.get(t, "ValidatingAdmissionPolicyBinding", fullname+"-optout"))
	if binding.Spec.PolicyName != policy.Name || !cmp.Equal(binding.Spec.ValidationActions, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}) {
		t.Errorf("binding %s: policy %q, actions %v; want policy %s, Deny", binding.Name, binding.Spec.PolicyName, binding.Spec.ValidationActions, policy.Name)
	}
	lists := map[string]*[]string{"allowedUsers": &users, "allowedGroups": &groups}
	for _, v := range policy.Spec.Variables {
		if into, ok := lists[v.Name]; ok {
			if err := json.Unmarshal([]byte(v.Expression), into); err != nil {
				t.Errorf("variable %s is not a JSON list of strings: %q: %v", v.Name, v.Expression, err)
			}
			delete(lists, v.Name)
		}
	}
	if len(lists) != 0 {
		t.Errorf("policy %s lacks variables %v", policy.Name, lists)
	}
	return users, groups
}

func TestOptOutGuardIdentities(t *testing.T) {
	cases := map[string]struct {
		values        string
		users, groups []string
	}{
		"defaults: system:masters and the release's service account": {
			users:  []string{"system:serviceaccount:vm-admission:lw-linkstate-webhook"},
			groups: []string{"system:masters"},
		},
		"named identities with special characters": {
			values: `optOut: {allowedUsers: ["argocd:application-controller", "o'brien@example.com", "quote\"d"], allowedGroups: [platform-admins]}`,
			users:  []string{"system:serviceaccount:vm-admission:lw-linkstate-webhook", "argocd:application-controller", "o'brien@example.com", `quote"d`},
			groups: []string{"platform-admins"},
		},
		"an existing service account": {
			values: "serviceAccount: {create: false, name: shared-sa}",
			users:  []string{"system:serviceaccount:vm-admission:shared-sa"},
			groups: []string{"system:masters"},
		},
		"no group": {
			values: "optOut: {allowedGroups: []}",
			users:  []string{"system:serviceaccount:vm-admission:lw-linkstate-webhook"},
			groups: []string{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			users, groups := optOutIdentities(t, render(t, "lw", "vm-admission", tc.values), "lw-linkstate-webhook")
			if diff := cmp.Diff(tc.users, users); diff != "" {
				t.Errorf("allowed users (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.groups, groups); diff != "" {
				t.Errorf("allowed groups (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOptOutValuesSchema(t *testing.T) {
	for values, atPath := range map[string]string{
		"optOut: {allowedUsers: ['']}":               "/optOut/allowedUsers/0",
		"optOut: {allowedGroups: system:masters}":    "/optOut/allowedGroups",
		"optOut: {allowedGroups: [ops, ops]}":        "/optOut/allowedGroups",
		"optOut: {allowedServiceAccounts: [argocd]}": "/optOut",
	} {
		_, err := template(t, "lw", "vm-admission", values)
		if err == nil || !strings.Contains(err.Error(), "at '"+atPath) {
			t.Errorf("%s: want a schema error at %s, got %v", values, atPath, err)
		}
	}
}

// The guard as helm installs it: the API server enforces it (for the identities the values
// name), and `helm uninstall` takes it away.
func TestInstalledOptOutGuard(t *testing.T) {
	c := apiServer(t)
	const release, namespace, target = "guard", "lw-guard", "guarded-team"
	ctx := context.Background()
	c.ensureNamespace(t, target)
	portal := c.userWhoMayLabel(t, "portal-bot", target)
	tenant := c.userWhoMayLabel(t, "team-admin", target)

	notes := install(t, c, release, namespace, "optOut: {allowedUsers: [portal-bot], protectedLabels: [tenant]}")
	for _, line := range []string{"groups: system:masters", "users:  system:serviceaccount:lw-guard:guard-linkstate-webhook, portal-bot"} {
		if !strings.Contains(notes, line) {
			t.Errorf("NOTES do not say who may opt a namespace out (%q):\n%s", line, notes)
		}
	}
	want := "only cluster operators may set, change or remove the linkstate.kubevirt.io/webhook label, " +
		"which switches linkstate-webhook off for a namespace: group system:masters, " +
		"system:serviceaccount:lw-guard:guard-linkstate-webhook, portal-bot; ask one to exempt this namespace"
	// A new policy takes effect moments after it is stored.
	testwait.Until(t, "the tenant is refused the opt-out label", 15*time.Second, func() error {
		err := labelNamespace(ctx, tenant, target, "disabled", client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), want) {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})
	if err := labelNamespace(ctx, portal, target, "disabled"); err != nil {
		t.Errorf("portal-bot (optOut.allowedUsers) labelling: %v", err)
	}
	if err := labelNamespace(ctx, c.client, target, "enabled"); err != nil {
		t.Errorf("system:masters labelling: %v", err)
	}
	ns := get[corev1.Namespace](t, c, "", target)
	if got := ns.Labels[optOutLabel]; got != "enabled" {
		t.Errorf("label %s=%q after the operator's change, want enabled", optOutLabel, got)
	}

	// optOut.protectedLabels: a label a LinkStatePolicy selects on is guarded the same way
	// (a tenant who removed it would leave the policy's scope); other labels are not.
	setLabel := func(cl client.Client, key string, value any, opts ...client.PatchOption) error {
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{key: value}}})
		return cl.Patch(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: target}}, client.RawPatch(types.MergePatchType, patch), opts...)
	}
	if err := setLabel(c.client, "tenant", "true"); err != nil {
		t.Fatalf("the operator labelling tenant=true: %v", err)
	}
	guarded := "only cluster operators may set, change or remove the namespace labels tenant, which switch linkstate-webhook off " +
		"for a namespace or select it for LinkStatePolicies: group system:masters, " +
		"system:serviceaccount:lw-guard:guard-linkstate-webhook, portal-bot; ask one to change them"
	for what, value := range map[string]any{"remove": nil, "change": "false"} {
		if err := setLabel(tenant, "tenant", value); err == nil || !strings.Contains(err.Error(), guarded) {
			t.Errorf("the tenant trying to %s the guarded label tenant: %v, want %q", what, err, guarded)
		}
	}
	if err := setLabel(tenant, "team", "blue"); err != nil {
		t.Errorf("the tenant labelling team=blue (not guarded): %v", err)
	}
	if got := get[corev1.Namespace](t, c, "", target).Labels; got["tenant"] != "true" || got["team"] != "blue" {
		t.Errorf("labels %v, want tenant=true kept and team=blue added", got)
	}

	c.helm(t, "uninstall", release, "--namespace", namespace)
	testwait.Until(t, "the guard goes with the release", 15*time.Second, func() error {
		return labelNamespace(ctx, tenant, target, "disabled", client.DryRunAll)
	})
}

// userWhoMayLabel is a client for user, whom RBAC allows to patch namespace ns.
func (c *cluster) userWhoMayLabel(t *testing.T, user, ns string) client.Client {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "label-" + ns + "-" + user},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: []string{ns}, Verbs: []string{"get", "patch"}}},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := c.client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	u, err := c.env.AddUser(envtest.User{Name: user}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(u.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// RBAC takes in the new binding moments after it is stored.
	testwait.Until(t, user+" may patch namespace "+ns, 15*time.Second, func() error {
		return cl.Patch(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, client.RawPatch(types.MergePatchType, []byte(`{}`)), client.DryRunAll)
	})
	return cl
}

// labelNamespace sets the opt-out label on ns with a merge patch, as `kubectl label` does.
func labelNamespace(ctx context.Context, cl client.Client, ns, value string, opts ...client.PatchOption) error {
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, optOutLabel, value)
	return cl.Patch(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, client.RawPatch(types.MergePatchType, []byte(patch)), opts...)
}

const overlayMarker = "<!-- optout-overlay: test/chart/optout_test.go builds config/optout with this patch -->"

// docs/optout.md's kustomize overlay does what it says: config/optout with the patch gives
// the groups it names and leaves the users alone; a patch aimed at the wrong variable fails.
func TestOptOutOverlayFromDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(harness.Root(), "docs", "optout.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), overlayMarker+"\n```yaml\n")
	if !ok {
		t.Fatalf("docs/optout.md has no yaml block after %q", overlayMarker)
	}
	patches, _, _ := strings.Cut(after, "```")
	dir := t.TempDir()
	base, err := filepath.Rel(dir, filepath.Join(harness.Root(), "config", "optout"))
	if err != nil {
		t.Fatal(err)
	}
	kustomization := "resources:\n  - " + base + "\n" + patches
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := parseObjects(kubectl(t, "kustomize", dir))
	if err != nil {
		t.Fatal(err)
	}
	users, groups := optOutIdentities(t, objs, "linkstate-webhook")
	if diff := cmp.Diff([]string{"system:masters", "platform-admins"}, groups); diff != "" {
		t.Errorf("groups after the documented overlay (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"system:serviceaccount:linkstate-webhook-system:linkstate-webhook"}, users); diff != "" {
		t.Errorf("users after the documented overlay (-want +got):\n%s", diff)
	}

	// The same patch aimed at the users' index: its test operation refuses it.
	wrong := strings.ReplaceAll(kustomization, "/spec/variables/1/", "/spec/variables/0/")
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl"), "kustomize", dir)
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "test failed") {
		t.Errorf("a patch aimed at the wrong variable: err=%v, output:\n%s", err, out)
	}
}
