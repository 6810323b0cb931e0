package cel

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/cel"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// maxInterfaces is the most interfaces (and networks) KubeVirt's schema lets a VM have.
const maxInterfaces = 256

func many(n int, state v1.InterfaceState) *v1.VirtualMachineInstanceSpec {
	var ifaces []v1.Interface
	var nets []v1.Network
	for i := range n {
		name := fmt.Sprintf("i%d", i)
		ifaces = append(ifaces, Bridge(name, state))
		nets = append(nets, Multus(name))
	}
	return Spec(ifaces, nets...)
}

// The largest VM the schema allows is judged within CEL's cost budget, on create and on an
// update of a running VM (the costliest: every interface looked up among the old ones).
// Its denial lists more than a policy message may hold (5 KiB): the policies then say so
// instead of listing the findings — a deliberate difference with the webhook, which lists
// them all — while the verdict is the same.
func TestLargestVM(t *testing.T) {
	apiServer(t)
	var gs groups
	g := gs.of(linkstate.DefaultConfig())
	g.install(t, "lv")
	g.waitInEffect(t)
	if err := env.StopWebhook(); err != nil {
		t.Logf("stopping the previous webhook: %v", err)
	}
	if err := env.StartWebhook(t.Context(), g.flags()...); err != nil {
		t.Fatal(err)
	}
	fine, bad := many(maxInterfaces, "linkDown"), many(maxInterfaces, "sideways")
	for _, tr := range []trial{
		{kind: linkstate.VirtualMachine, spec: fine},
		{kind: linkstate.VirtualMachineInstance, spec: fine},
		{kind: linkstate.VirtualMachine, old: many(maxInterfaces, "absent"), spec: fine, running: true},
		{kind: linkstate.VirtualMachine, old: many(maxInterfaces, ""), spec: many(maxInterfaces, "linkUp"), running: true},
	} {
		t.Run(fmt.Sprintf("%s/update=%v", tr.kind.GroupKind.Kind, tr.old != nil), func(t *testing.T) {
			web, pol := send(t, tr, g.webhookNS), send(t, tr, g.celNS)
			if (web.err == nil) != (pol.err == nil) {
				t.Fatalf("webhook %v, policies %v", web.err, pol.err)
			}
			if tr.old != nil && tr.old.Domain.Devices.Interfaces[0].State == "absent" {
				// T1 on every interface: too long a list for a policy's message.
				if pol.err == nil || !strings.Contains(pol.err.Error(), "the list is too long to print here") {
					t.Errorf("policies: %v, want the too-long denial", pol.err)
				}
				return
			}
			compare(t, tr, g.cfg, g.prefix, web, pol)
		})
	}
	t.Run("too many findings to list", func(t *testing.T) {
		tr := trial{kind: linkstate.VirtualMachine, spec: bad}
		web, pol := send(t, tr, g.webhookNS), send(t, tr, g.celNS)
		if web.err == nil || pol.err == nil {
			t.Fatalf("webhook %v, policies %v: want both denied", web.err, pol.err)
		}
		text, _, err := denialText(pol.err)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "the list is too long to print here: `webhook check -f` on the manifest prints it") {
			t.Errorf("policy denial %q, want the too-long message", text)
		}
		if webText, _, _ := denialText(web.err); strings.Count(webText, "Unsupported value") != maxInterfaces {
			t.Errorf("the webhook did not list all %d findings", maxInterfaces)
		}
	})
}

// The bindings skip exactly the namespaces the shipped webhooks skip.
func TestBindingsSkipWhatTheWebhooksSkip(t *testing.T) {
	p, err := cel.Generate(cel.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	mutating, validating, err := harness.ReadShippedWebhooks()
	if err != nil {
		t.Fatal(err)
	}
	want := validating[0].Webhooks[0].NamespaceSelector
	for _, m := range mutating {
		for _, w := range m.Webhooks {
			if diff := cmp.Diff(want, w.NamespaceSelector); diff != "" {
				t.Fatalf("the shipped webhooks differ among themselves: %s", diff)
			}
		}
	}
	for _, b := range p.ValidatingBindings {
		if diff := cmp.Diff(want, b.Spec.MatchResources.NamespaceSelector); diff != "" {
			t.Errorf("%s: namespace selector (-webhooks +binding):\n%s", b.Name, diff)
		}
	}
	for _, b := range p.MutatingBindings {
		if diff := cmp.Diff(want, b.Spec.MatchResources.NamespaceSelector); diff != "" {
			t.Errorf("%s: namespace selector (-webhooks +binding):\n%s", b.Name, diff)
		}
	}
}

// A value with unusual characters is quoted differently in the two ways' messages (see
// deliberateDifferences), and only there: the verdicts and fields are the same.
func TestQuotingOfUnusualCharacters(t *testing.T) {
	apiServer(t)
	var gs groups
	g := gs.of(linkstate.DefaultConfig())
	g.install(t, "qc")
	g.waitInEffect(t)
	if err := env.StopWebhook(); err != nil {
		t.Logf("stopping the previous webhook: %v", err)
	}
	if err := env.StartWebhook(t.Context(), g.flags()...); err != nil {
		t.Fatal(err)
	}
	tr := trial{kind: linkstate.VirtualMachine, spec: Spec(Ifaces(Bridge("a", "up\x01&\tdown")), Multus("a"))}
	web, pol := send(t, tr, g.webhookNS), send(t, tr, g.celNS)
	webText, _, err := denialText(web.err)
	if err != nil {
		t.Fatal(err)
	}
	polText, _, err := denialText(pol.err)
	if err != nil {
		t.Fatal(err)
	}
	// The webhook prints a state as JSON does; CEL's strings.quote escapes \t as JSON does.
	if want := `"up\u0001\u0026\tdown"`; !strings.Contains(webText, want) {
		t.Errorf("webhook: %q, want the value printed %s", webText, want)
	}
	if want := "\"up\x01&\\tdown\""; !strings.Contains(polText, want) {
		t.Errorf("policies: %q, want the value printed %q", polText, want)
	}
	if unescaped := strings.NewReplacer(`\u0001`, "\x01", `\u0026`, "&").Replace(webText); unescaped != polText {
		t.Errorf("the messages differ in more than the quoting:\n webhook  %q\n policies %q", webText, polText)
	}
}
