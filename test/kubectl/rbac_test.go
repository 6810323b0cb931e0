package kubectl

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// A tenant who may read VMs and VMIs and patch VMs in their own namespace, and nothing else:
// everything a VM owner needs works there; elsewhere, kubectl's Forbidden, and nothing
// changes.
func TestTenant(t *testing.T) {
	ctx := context.Background()
	own, other := namespace(t), namespace(t)
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: own, Name: "vm-owner"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"kubevirt.io"}, Resources: []string{"virtualmachines"}, Verbs: []string{"get", "list", "watch", "patch"}},
			{APIGroups: []string{"kubevirt.io"}, Resources: []string{"virtualmachineinstances"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: own, Name: "tenant"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "vm-owner"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: "rbac.authorization.k8s.io", Name: "tenant"}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	user, err := env.Env.AddUser(envtest.User{Name: "tenant", Groups: []string{"tenants"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	tenant := invocation{kubeconfig: kubeconfig}

	for _, ns := range []string{own, other} {
		createVM(t, ns, "web", webIfaces...)
		startVM(t, ns, "web")
	}
	playKubeVirt(t, own, "web", true, 100*time.Millisecond)

	t.Run("in their namespace: get, set with wait, unplug", func(t *testing.T) {
		tenant.run(t, "-n", own, "get", "vm").expect(t, 0, []string{"web   blue        bridge       blue-nad   linkDown   linkDown   yes"}, nil)
		tenant.run(t, "-n", own, "set", "vm", "web", "blue=up").expect(t, 0, []string{"vmi/web reports: blue linkUp ✓"}, nil)
		tenant.run(t, "-n", own, "set", "vm", "web", "blue=down", "--dry-run=server").expect(t, 0, []string{"(server dry run)"}, nil)
		tenant.run(t, "-n", own, "unplug", "vm", "web", "blue", "--yes").expect(t, 0, []string{"vmi/web reports: blue absent ✓"}, nil)
		if diff := cmp.Diff([]string{"default=linkUp", "blue=absent", "fast="}, states(t, get(t, vmGVK, own, "web"))); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
	})

	t.Run("the VMI is not theirs to patch", func(t *testing.T) {
		createVMI(t, own, "solo", nil, iface{name: "blue", binding: "bridge"})
		tenant.run(t, "-n", own, "set", "vmi", "solo", "blue=down").expect(t, 1, nil, []string{
			`Error from server (Forbidden): virtualmachineinstances.kubevirt.io "solo" is forbidden: User "tenant" cannot patch resource "virtualmachineinstances" in API group "kubevirt.io" in the namespace "` + own + `"`})
	})

	t.Run("another namespace: forbidden, nothing changes", func(t *testing.T) {
		before := get(t, vmGVK, other, "web")
		tenant.run(t, "-n", other, "set", "vm", "web", "blue=up").expect(t, 1, nil, []string{
			`Error from server (Forbidden): virtualmachines.kubevirt.io "web" is forbidden: User "tenant" cannot get resource "virtualmachines" in API group "kubevirt.io" in the namespace "` + other + `"`})
		tenant.run(t, "-n", other, "get", "vm").expect(t, 1, nil, []string{`Error from server (Forbidden): virtualmachines.kubevirt.io is forbidden: User "tenant" cannot list resource "virtualmachines"`})
		tenant.run(t, "get", "vm", "-A").expect(t, 1, nil, []string{`cannot list resource "virtualmachines" in API group "kubevirt.io" at the cluster scope`})
		if after := get(t, vmGVK, other, "web"); after.GetResourceVersion() != before.GetResourceVersion() {
			t.Errorf("the other namespace's VM changed: %q", states(t, after))
		}
	})
}
