package adversarial

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// The people of the story.
var tenant, portal, operator, releaseSA *identity

// The tenant's namespaces. The operator created them, and labelled two: one with the label
// at a value that keeps the rules on, one opted out.
const (
	tenantNS   = "tenant-a"          // no label: the rules apply
	labelledNS = "tenant-a-labelled" // linkstate.kubevirt.io/webhook=enabled, set by the operator
	exemptNS   = "tenant-a-exempt"   // linkstate.kubevirt.io/webhook=disabled, set by the operator
	opsNS      = "tenant-a-ops"      // the operator exempts it and takes the exemption back
)

var tenantNamespaces = []string{tenantNS, labelledNS, exemptNS, opsNS}

const (
	optOutLabel = "linkstate.kubevirt.io/webhook"
	// releaseSAName is the release's own service account, which the shipped guard allows.
	releaseSAName = "system:serviceaccount:" + harness.ServiceNamespace + ":linkstate-webhook"
	// operatorManager is the field manager of everything the operator applied.
	operatorManager = "operator"
)

// setUp creates the identities, the tenant's namespaces and rights, the objects the
// attempts aim at, and the guard of the opt-out label as config/optout ships it.
func setUp(ctx context.Context) error {
	var err error
	operator = &identity{who: "operator", kubeconfig: env.Kubeconfig, cacheDir: filepath.Join(workDir, ".identities", "operator")}
	if tenant, err = newIdentity("tenant", "alice", "tenants"); err != nil {
		return err
	}
	if portal, err = newIdentity("portal", "self-service-portal"); err != nil {
		return err
	}
	if releaseSA, err = newIdentity("release SA", releaseSAName); err != nil {
		return err
	}
	if err := grantRights(ctx); err != nil {
		return err
	}
	if err := writeManifests(); err != nil {
		return err
	}
	for _, step := range [][]string{
		{"apply", "--server-side", "--field-manager=" + operatorManager, "-f", "fixtures/namespaces.yaml"},
		{"apply", "--server-side", "--field-manager=" + operatorManager, "-n", tenantNS, "-f", "fixtures/web.yaml"},
		{"apply", "--server-side", "--field-manager=" + operatorManager, "-n", tenantNS, "-f", "fixtures/web-vmi.yaml"},
		{"create", "-n", tenantNS, "-f", "fixtures/mig-web.yaml"},
		{"apply", "-f", "fixtures/policies.yaml"},
		{"apply", "-k", filepath.Join(harness.Root(), "config", "optout")},
	} {
		if err := operator.must(step...); err != nil {
			return err
		}
	}
	return waitForGuard()
}

// grantRights gives the tenant a namespace admin's rights (on KubeVirt's objects, those of
// KubeVirt's own aggregated kubevirt.io:admin role), the portal the right to create
// namespaces, and the release's service account the right to label them.
func grantRights(ctx context.Context) error {
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	namespaceAdmin := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "namespace-admin"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"kubevirt.io"}, Resources: []string{"virtualmachines", "virtualmachineinstances",
				"virtualmachineinstancemigrations", "virtualmachineinstancereplicasets", "virtualmachineinstancepresets"}, Verbs: all},
			{APIGroups: []string{""}, Resources: []string{"pods", "services", "configmaps", "secrets",
				"persistentvolumeclaims", "serviceaccounts"}, Verbs: all},
			{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "rolebindings"}, Verbs: all},
		},
	}
	// Namespaces are cluster-scoped: the tenant's own, by name. The status and finalize
	// subresources too — more than most setups grant — so that a refusal there is the
	// guard's, not RBAC's.
	ownNamespaces := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "tenant-a-namespaces"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"namespaces", "namespaces/status", "namespaces/finalize"},
			ResourceNames: tenantNamespaces, Verbs: []string{"get", "update", "patch"},
		}},
	}
	createNamespaces := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "namespace-creator"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "create"}}},
	}
	labelNamespaces := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "namespace-labeller"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "patch"}}},
	}
	objs := []client.Object{namespaceAdmin, ownNamespaces, createNamespaces, labelNamespaces,
		clusterBinding(ownNamespaces.Name, rbacv1.Subject{Kind: rbacv1.GroupKind, Name: "tenants"}),
		clusterBinding(createNamespaces.Name, rbacv1.Subject{Kind: rbacv1.UserKind, Name: "self-service-portal"}),
		clusterBinding(labelNamespaces.Name, rbacv1.Subject{Kind: rbacv1.UserKind, Name: releaseSAName}),
	}
	for _, ns := range tenantNamespaces {
		// The namespaces exist before their RoleBindings: the operator applies them first.
		if err := operator.must("create", "namespace", ns); err != nil {
			return err
		}
		objs = append(objs, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "namespace-admin", Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: namespaceAdmin.Name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "tenants"}},
		})
	}
	for _, o := range objs {
		if err := admin.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

func clusterBinding(role string, subject rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	subject.APIGroup = rbacv1.GroupName
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role + "-" + strings.ToLower(strings.NewReplacer(":", "-").Replace(subject.Name))},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{subject},
	}
}

// waitForGuard waits until the API server enforces the policy just applied: a new policy
// takes effect a fraction of a second after it is stored.
func waitForGuard() error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		r, err := tenant.run("label", "namespace", tenantNS, optOutLabel+"=disabled", "--dry-run=server")
		if err != nil {
			return err
		}
		if r.code != 0 && strings.Contains(r.out, "ValidatingAdmissionPolicy 'linkstate-webhook-optout'") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the opt-out guard is not enforced 15s after it was applied; kubectl said (exit %d): %s", r.code, r.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// must runs kubectl as who and returns an error unless it succeeds.
func (who *identity) must(args ...string) error {
	r, err := who.run(args...)
	if err != nil {
		return err
	}
	if r.code != 0 {
		return fmt.Errorf("kubectl %s (as %s): exit status %d\n%s", strings.Join(args, " "), who.who, r.code, r.out)
	}
	return nil
}

// writeManifests writes every manifest the fixtures and attempts send.
func writeManifests() error {
	for name, content := range manifests {
		path := manifestPath(name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(strings.TrimLeft(content, "\n")), 0o644); err != nil {
			return err
		}
	}
	return nil
}
