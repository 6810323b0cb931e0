package cel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/cel"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// paramsNamespace holds every group's params ConfigMap; like a webhook's own namespace,
// no binding judges it.
const paramsNamespace = "eq-cel-system"

// group is one configuration both ways judge with: the webhook restarted with its flags,
// and a set of policies of its own (prefix eq-<name>) whose bindings take only the
// group's "cel" namespace, with their params ConfigMap holding its settings.
type group struct {
	name string
	cfg  linkstate.Config
	// prefix starts the names of the group's policies.
	prefix string
	// webhookNS and celNS are the group's namespaces for each way.
	webhookNS, celNS string
	policies         *cel.Policies
}

// flags are the webhook's flags for the group's settings.
func (g *group) flags() []string {
	var supported, unsupported []string
	for name, s := range g.cfg.Plugins {
		switch s {
		case linkstate.PluginSupported:
			supported = append(supported, name)
		case linkstate.PluginUnsupported:
			unsupported = append(unsupported, name)
		}
	}
	slices.Sort(supported)
	slices.Sort(unsupported)
	return []string{
		"--dialect=" + string(g.cfg.Dialect),
		"--passt-binding=" + string(g.cfg.PasstBinding),
		"--unknown-plugins=" + string(g.cfg.UnknownPlugins),
		"--supported-plugins=" + strings.Join(supported, ","),
		"--unsupported-plugins=" + strings.Join(unsupported, ","),
	}
}

// key identifies a configuration: groups are made one per distinct key.
func key(cfg linkstate.Config) string {
	g := group{cfg: cfg}
	return strings.Join(g.flags(), " ")
}

// groups collects the distinct configurations of cfgs, in first-seen order.
type groups struct {
	list  []*group
	byKey map[string]*group
}

func (gs *groups) of(cfg linkstate.Config) *group {
	if gs.byKey == nil {
		gs.byKey = map[string]*group{}
	}
	k := key(cfg)
	if g, ok := gs.byKey[k]; ok {
		return g
	}
	g := &group{name: fmt.Sprintf("g%d", len(gs.list)+1), cfg: cfg}
	gs.list = append(gs.list, g)
	gs.byKey[k] = g
	return g
}

// install creates the group's namespaces and policies. prefix keeps the namespaces and
// policies of different tests apart.
func (g *group) install(t *testing.T, prefix string) {
	t.Helper()
	ctx := context.Background()
	ensureNamespace(t, paramsNamespace, nil)
	g.prefix = prefix + "-" + g.name
	g.webhookNS, g.celNS = g.prefix+"-webhook", g.prefix+"-cel"
	ensureNamespace(t, g.webhookNS, map[string]string{pathLabel: "webhook", groupLabel: g.prefix})
	ensureNamespace(t, g.celNS, map[string]string{pathLabel: "cel", groupLabel: g.prefix})

	opts := cel.DefaultOptions()
	opts.Config = g.cfg
	opts.Namespace = paramsNamespace
	opts.Prefix = g.prefix
	opts.CreateNamespace = false
	opts.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{pathLabel: "cel", groupLabel: g.prefix}}
	opts.ObjectSelector = unjudged()
	var err error
	if g.policies, err = cel.Generate(opts); err != nil {
		t.Fatal(err)
	}
	for _, o := range g.policies.Objects() {
		if err := c.Create(ctx, o); err != nil {
			t.Fatalf("creating %s %s: %v", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
	}
}

func ensureNamespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if err := c.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}

// waitInEffect waits until every policy of the group acts on its namespace: a policy, a
// binding and its params take effect a moment after they are written. Each is probed with
// a dry-run create that only it answers: a value no dialect knows (deny), a link down on
// the pod network (warn), an empty state on a bridge (defaulted).
func (g *group) waitInEffect(t *testing.T) {
	t.Helper()
	for _, k := range cel.Kinds {
		kind := k.GroupKind.Kind
		denyPolicy := fmt.Sprintf("ValidatingAdmissionPolicy '%s-%s-deny'", g.prefix, strings.ToLower(kind))
		probe := func(what string, spec *v1.VirtualMachineInstanceSpec, check func(err error, warnings []string, obj *unstructured.Unstructured) error) {
			testwait.Until(t, fmt.Sprintf("group %s: the %s policy for %s in effect", g.name, what, kind), 30*time.Second, func() error {
				obj := object(t, k, g.celNS, "probe", spec)
				ctx, warnings := collecting(context.Background())
				err := c.Create(ctx, obj, client.DryRunAll)
				return check(err, warnings(), obj)
			})
		}
		probe("deny", specOf(iface{name: "a", binding: "bridge", state: "sideways"}), func(err error, _ []string, _ *unstructured.Unstructured) error {
			if err == nil || !strings.Contains(err.Error(), denyPolicy) {
				return fmt.Errorf("want a denial by %s, got %v", denyPolicy, err)
			}
			return nil
		})
		probe("warn", specOf(iface{name: "a", binding: "masquerade", state: string(g.cfg.Dialect.Down()), net: "pod"}), func(err error, warnings []string, _ *unstructured.Unstructured) error {
			for _, w := range warnings {
				if strings.Contains(w, "-"+strings.ToLower(kind)+"-warn'") {
					return nil
				}
			}
			return fmt.Errorf("want a warning from the warn policy, got %v (err %v)", warnings, err)
		})
		probe("defaults", specOf(iface{name: "a", binding: "bridge"}), func(err error, _ []string, obj *unstructured.Unstructured) error {
			if err != nil {
				return err
			}
			if got := statesOf(t, obj); got["a"] != string(g.cfg.Dialect.Up()) {
				return fmt.Errorf("state not defaulted yet: %v", got)
			}
			return nil
		})
	}
}
