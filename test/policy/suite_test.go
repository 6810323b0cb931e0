// Package policy proves LinkStatePolicies against a real kube-apiserver and etcd: the CRD
// as config/crd ships it (its schema refusing what it must), the real webhook binary
// serving over TLS through the shipped webhook configurations, kubectl run as tenants who
// may only edit VMs in their namespaces, and `check` given the same manifests. Every
// assertion is on what the API server answered or stored, or what kubectl printed.
package policy

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// A tenant, a bot the network team runs, and a member of the network team's group. The
// API server authenticates each by a client certificate envtest issues.
var (
	alice = envtest.User{Name: "alice", Groups: []string{"tenants"}}
	bot   = envtest.User{Name: "system:serviceaccount:netops:bot"}
	carol = envtest.User{Name: "carol", Groups: []string{"netops"}}
)

// One API server and webhook for the package: starting them takes seconds.
var (
	env         *harness.Env
	admin       client.Client
	scheme      = runtime.NewScheme()
	users       = map[string]*tenant{}
	metricsAddr string
	nsSeq       atomic.Int32
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	addr, err := freeAddr()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	metricsAddr = addr
	log := &harness.LogBuffer{}
	env, err = harness.Start(context.Background(), harness.Options{
		WebhookLog: log,
		// Metrics on: Audit-mode findings are recorded there.
		WebhookArgs: []string{"--metrics-bind-address", metricsAddr},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "policy suite:", err, "\n--- webhook log ---\n", log.String())
		if env != nil {
			_ = env.Stop()
		}
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the environment:", err)
		}
	}()
	cfg := harness.Unthrottled(env.Config)
	if admin, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := setUpTenants(); err != nil {
		fmt.Fprintln(os.Stderr, "tenants:", err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- webhook log ---\n%s\n", log)
	}
	return code
}

// tenant is a user with a kubeconfig for kubectl and a client, both as that user.
type tenant struct {
	user       envtest.User
	kubeconfig string
	client     client.Client
	warnings   *harness.WarningRecorder
}

// setUpTenants adds the users and a ClusterRole that lets them edit VMs and VMIs, which
// each test namespace binds for them (editVMs): tenants cannot touch policies.
func setUpTenants() error {
	dir, err := os.MkdirTemp("", "policy-tenants-")
	if err != nil {
		return err
	}
	for _, u := range []envtest.User{alice, bot, carol} {
		authn, err := env.Env.AddUser(u, nil)
		if err != nil {
			return err
		}
		kubeconfig, err := authn.KubeConfig()
		if err != nil {
			return err
		}
		path := filepath.Join(dir, strings.NewReplacer(":", "-").Replace(u.Name)+".kubeconfig")
		if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
			return err
		}
		cfg := harness.Unthrottled(authn.Config())
		t := &tenant{user: u, kubeconfig: path, warnings: &harness.WarningRecorder{}}
		cfg.WarningHandlerWithContext = t.warnings
		if t.client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
			return err
		}
		users[u.Name] = t
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "kubevirt-vm-editor"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"kubevirt.io"},
			Resources: []string{"virtualmachines", "virtualmachineinstances"},
			Verbs:     []string{"get", "list", "create", "update", "patch", "delete"},
		}},
	}
	return admin.Create(context.Background(), role)
}

// namespace creates a namespace for one test, with labels, in which the tenants may edit
// VMs.
func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	name := fmt.Sprintf("p%d-%s", nsSeq.Add(1), strings.ToLower(t.Name()))
	name = strings.Trim(nonLabel.ReplaceAllString(name, "-"), "-")
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if err := admin.Create(ctx, ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "vm-editors", Namespace: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "kubevirt-vm-editor"},
		Subjects: []rbacv1.Subject{
			{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: alice.Name},
			{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: bot.Name},
			{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "netops"},
		},
	}
	if err := admin.Create(ctx, binding); err != nil {
		t.Fatalf("binding the VM editors: %v", err)
	}
	return name
}

// kubectl runs kubectl as u with stdin, and returns what it printed (stdout and stderr)
// and whether it succeeded.
func kubectl(t *testing.T, u envtest.User, stdin string, args ...string) (string, error) {
	t.Helper()
	kubeconfig := env.Kubeconfig
	if tn, ok := users[u.Name]; ok {
		kubeconfig = tn.kubeconfig
	}
	cmd := exec.Command(filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	// kubectl caches discovery under $HOME unless told otherwise.
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

var nonLabel = regexp.MustCompile(`[^a-z0-9]+`)

// asAdmin is the cluster operator, for kubectl.
var asAdmin = envtest.User{Name: "admin"}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
