package cel

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// dryRun creates a VM of spec in the group's policy namespace without storing it, and
// returns the error, the warnings and the object as it would be stored.
func (g *group) dryRun(t *testing.T, spec *v1.VirtualMachineInstanceSpec) (error, []string, map[string]string) {
	t.Helper()
	obj := object(t, linkstate.VirtualMachine, g.celNS, "dry-run", spec)
	ctx, warnings := collecting(context.Background())
	err := c.Create(ctx, obj, client.DryRunAll)
	return err, warnings(), statesOf(t, obj)
}

func (g *group) params(t *testing.T) *corev1.ConfigMap {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(g.policies.Params), cm); err != nil {
		t.Fatal(err)
	}
	return cm
}

// setParams writes one setting of the params ConfigMap and returns the API server's answer.
func (g *group) setParams(t *testing.T, key, value string) error {
	t.Helper()
	cm := g.params(t)
	cm.Data[key] = value
	return c.Update(context.Background(), cm)
}

// The runtime settings are read from the params ConfigMap when a request is judged:
// changing them changes the verdicts, with nothing regenerated.
func TestSettingsChangeAtRuntime(t *testing.T) {
	apiServer(t)
	var gs groups
	g := gs.of(linkstate.DefaultConfig())
	g.install(t, "rs")
	g.waitInEffect(t)
	passtUp := Spec(Ifaces(PasstBinding("default", "linkUp")), Pod("default"))
	pluginEmpty := Spec(Ifaces(Plugin("p", "vendor", "")), Multus("p"))
	pluginDown := Spec(Ifaces(Plugin("p", "vendor", "linkDown")), Multus("p"))

	if err, _, _ := g.dryRun(t, passtUp); err == nil || !strings.Contains(err.Error(), "passtBinding binding does not apply link state") {
		t.Fatalf("passtBinding up with the default settings: %v, want the B3 denial", err)
	}
	if err := g.setParams(t, "passtBinding", "warn"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "passtBinding=warn in effect", 30*time.Second, func() error {
		err, warnings, _ := g.dryRun(t, passtUp)
		if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "passtBinding binding does not apply link state") {
			return fmt.Errorf("error %v, warnings %v", err, warnings)
		}
		return nil
	})

	// An unknown plugin: warned about, not defaulted. Listed as supported: silent, defaulted.
	if err, warnings, states := g.dryRun(t, pluginDown); err != nil || len(warnings) != 1 || states["p"] != "linkDown" {
		t.Fatalf("unknown plugin down: %v %v %v, want one B4 warning", err, warnings, states)
	}
	if _, _, states := g.dryRun(t, pluginEmpty); states["p"] != "" {
		t.Fatalf("an unknown plugin was defaulted: %v", states)
	}
	if err := g.setParams(t, "supportedPlugins", " other , vendor"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "vendor listed as supported", 30*time.Second, func() error {
		err, warnings, _ := g.dryRun(t, pluginDown)
		_, _, states := g.dryRun(t, pluginEmpty)
		if err != nil || len(warnings) != 0 || states["p"] != "linkUp" {
			return fmt.Errorf("down: %v %v; empty defaulted to %q", err, warnings, states["p"])
		}
		return nil
	})
	if err := g.setParams(t, "supportedPlugins", ""); err != nil {
		t.Fatal(err)
	}
	if err := g.setParams(t, "unsupportedPlugins", "vendor"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "vendor listed as unsupported", 30*time.Second, func() error {
		if err, _, _ := g.dryRun(t, pluginDown); err == nil || !strings.Contains(err.Error(), `binding plugin "vendor" does not support link state`) {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})
}

// The guard policy refuses a params ConfigMap the policies could not read, with the texts
// `webhook serve` has for the same mistakes in its flags.
func TestParamsGuard(t *testing.T) {
	apiServer(t)
	var gs groups
	g := gs.of(linkstate.DefaultConfig())
	g.install(t, "pg")
	testwait.Until(t, "the guard in effect", 30*time.Second, func() error {
		if err := g.setParams(t, "passtBinding", "wran"); err == nil {
			_ = g.setParams(t, "passtBinding", "deny")
			return fmt.Errorf("a bad value was stored")
		}
		return nil
	})
	for _, tc := range []struct{ key, value, want string }{
		{"passtBinding", "wran", `data.passtBinding: unknown action "wran": use "deny" or "warn"`},
		{"unknownPlugins", "allow", `data.unknownPlugins: unknown action "allow": use "deny" or "warn"`},
		{"unsupportedPlugins", "a,both", "data: binding plugins listed as both supported and unsupported: [both]"},
		{"passtbinding", "warn", "data: the keys read are passtBinding, supportedPlugins, unsupportedPlugins, unknownPlugins, not passtbinding"},
	} {
		if tc.key == "unsupportedPlugins" {
			if err := g.setParams(t, "supportedPlugins", "both"); err != nil {
				t.Fatal(err)
			}
		}
		err := g.setParams(t, tc.key, tc.value)
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: %v, want an Invalid saying %q", tc.key, tc.value, err, tc.want)
		}
	}
	// What the guard accepts, the policies read.
	if err := g.setParams(t, "unknownPlugins", "deny"); err != nil {
		t.Errorf("a valid setting was refused: %v", err)
	}
}

// Without its params the policies cannot judge: every request they match is denied
// (parameterNotFoundAction: Deny), as the webhooks fail closed.
func TestMissingParamsDeny(t *testing.T) {
	apiServer(t)
	var gs groups
	g := gs.of(linkstate.DefaultConfig())
	g.install(t, "mp")
	g.waitInEffect(t)
	fine := Spec(Ifaces(Masquerade("default", "linkUp")), Pod("default"))
	if err, _, _ := g.dryRun(t, fine); err != nil {
		t.Fatalf("a fine VM: %v", err)
	}
	if err := c.Delete(context.Background(), g.params(t)); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "creates denied without params", 30*time.Second, func() error {
		err, _, _ := g.dryRun(t, fine)
		if err == nil || !strings.Contains(err.Error(), "no params found") {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})
}

// The bindings skip what the webhooks skip: kube-system, the namespace holding the params
// (the webhook's own), and namespaces labelled linkstate.kubevirt.io/webhook=disabled.
func TestExclusions(t *testing.T) {
	apiServer(t)
	var gs groups
	g := gs.of(linkstate.DefaultConfig())
	g.install(t, "ex")
	g.waitInEffect(t)
	labels := map[string]string{pathLabel: "cel", groupLabel: g.prefix}
	optedOut := g.prefix + "-opted-out"
	ensureNamespace(t, optedOut, map[string]string{pathLabel: "cel", groupLabel: g.prefix, "linkstate.kubevirt.io/webhook": "disabled"})
	for _, ns := range []string{metav1.NamespaceSystem, paramsNamespace} {
		n := &corev1.Namespace{}
		if err := c.Get(context.Background(), client.ObjectKey{Name: ns}, n); err != nil {
			t.Fatal(err)
		}
		for k, v := range labels {
			metav1.SetMetaDataLabel(&n.ObjectMeta, k, v)
		}
		if err := c.Update(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	bad := Spec(Ifaces(Bridge("a", "sideways")), Multus("a"))
	// The control: in the group's own namespace, denied.
	if err, _, _ := g.dryRun(t, bad); err == nil {
		t.Fatal("the control VM was allowed: the policies are not in effect")
	}
	for _, ns := range []string{metav1.NamespaceSystem, paramsNamespace, optedOut} {
		testwait.Until(t, "a VM in "+ns+" not judged", 30*time.Second, func() error {
			obj := object(t, linkstate.VirtualMachine, ns, "dry-run", bad)
			return c.Create(context.Background(), obj, client.DryRunAll)
		})
	}
}
