package validate_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/mutate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate/validatetest"
)

// specGen turns fuzz bytes into the choices that build a spec: every byte picks one thing
// from a short list, so the fuzzer's mutations map onto meaningful changes (another
// binding, another state, a duplicate name) rather than onto JSON syntax. Once the bytes
// run out every choice is the first.
type specGen struct {
	data []byte
}

func (g *specGen) pick(n int) int {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return int(b) % n
}

func pickOf[T any](g *specGen, options ...T) T { return options[g.pick(len(options))] }

// Small pools make duplicates and dangling references common: both are structural
// errors the rules must skip without panicking.
var (
	fuzzNames  = []string{"default", "a", "b", "", "default"}
	fuzzStates = []v1.InterfaceState{"", "linkUp", "linkDown", "up", "down", "absent", "sideways", "Down", "LINKUP"}
	fuzzModels = []string{"", "virtio", "e1000", "rtl8139"}
)

func (g *specGen) iface() v1.Interface {
	name, state := pickOf(g, fuzzNames...), pickOf(g, fuzzStates...)
	var i v1.Interface
	switch g.pick(12) {
	case 0:
		i = NoBinding(name, state)
	case 1:
		i = Bridge(name, state)
	case 2:
		i = Masquerade(name, state)
	case 3:
		i = SRIOV(name, state)
	case 4:
		i = PasstBinding(name, state)
	case 5:
		i = Plugin(name, "good-plugin", state)
	case 6:
		i = Plugin(name, "bad-plugin", state)
	case 7:
		i = Plugin(name, "mystery", state)
	case 8:
		i = Slirp(name, state)
	case 9:
		i = Macvtap(name, state)
	case 10:
		i = LegacyPasst(name, state)
	default:
		i = BridgeAndMasquerade(name, state)
	}
	return WithModel(i, pickOf(g, fuzzModels...))
}

func (g *specGen) network() v1.Network {
	name := pickOf(g, fuzzNames...)
	switch g.pick(4) {
	case 0:
		return Pod(name)
	case 1:
		return Multus(name)
	case 2:
		return MultusDefault(name)
	}
	return v1.Network{Name: name} // no source at all
}

func (g *specGen) spec() *v1.VirtualMachineInstanceSpec {
	var ifaces []v1.Interface
	for range g.pick(7) {
		ifaces = append(ifaces, g.iface())
	}
	var nets []v1.Network
	for range g.pick(6) {
		nets = append(nets, g.network())
	}
	return Spec(ifaces, nets...)
}

// oldOf is the spec before an update: spec with some interfaces changed, dropped or added,
// so that unchanged, changed and new interfaces all occur.
func (g *specGen) oldOf(spec *v1.VirtualMachineInstanceSpec) *v1.VirtualMachineInstanceSpec {
	var ifaces []v1.Interface
	for _, i := range spec.Domain.Devices.Interfaces {
		switch g.pick(4) {
		case 0: // unchanged
			ifaces = append(ifaces, i)
		case 1: // another state
			i.State = pickOf(g, fuzzStates...)
			ifaces = append(ifaces, i)
		case 2: // another interface of the same name
			other := g.iface()
			other.Name = i.Name
			ifaces = append(ifaces, other)
		} // 3: new in this update
	}
	for range g.pick(2) {
		ifaces = append(ifaces, g.iface())
	}
	nets := spec.Networks
	if g.pick(3) == 0 {
		nets = g.spec().Networks
	}
	return Spec(ifaces, nets...)
}

func (g *specGen) config() linkstate.Config {
	cfg := linkstate.DefaultConfig()
	cfg.Dialect = pickOf(g, linkstate.Seed, linkstate.Upstream, linkstate.None)
	cfg.PasstBinding = pickOf(g, linkstate.ActionDeny, linkstate.ActionWarn)
	cfg.UnknownPlugins = pickOf(g, linkstate.ActionWarn, linkstate.ActionDeny)
	if err := cfg.SetPlugins([]string{"good-plugin"}, []string{"bad-plugin"}); err != nil {
		panic(err)
	}
	return cfg
}

// FuzzRules runs the mutating then the validating handler on generated VMs and VMIs,
// created or updated, running or not, and checks what the README promises of mutation:
//   - nothing panics (panic recovery is off, so a panic fails the fuzz run);
//   - the patch holds only add or replace on interfaces/N/state, applies to the object as
//     RFC 6902 (evanphx/json-patch), and changes no other field, known or unknown;
//   - mutation converges: the mutated object gets no further patch;
//   - mutated ⇒ valid: the mutated object has no denial the original did not have.
func FuzzRules(f *testing.F) {
	for _, seed := range []string{
		"",
		"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c",
		// A VM update: bridge, SR-IOV and plugin interfaces, duplicates, a missing network.
		"\x00\x00\x00\x00\x01\x03\x01\x01\x01\x00\x02\x02\x03\x01\x01\x05\x01\x00\x06\x03\x04\x00\x01\x01\x02\x02\x00\x03",
		// Upstream dialect, aliases everywhere, a running VM unplugging.
		"\x01\x01\x01\x01\x00\x01\x04\x03\x01\x00\x02\x05\x01\x00\x03\x03\x02\x01\x00\x02\x01\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &specGen{data: data}
		cfg := g.config()
		kind := pickOf(g, linkstate.VirtualMachine, linkstate.VirtualMachineInstance)
		op := pickOf(g, admissionv1.Create, admissionv1.Update)
		running := g.pick(2) == 0
		spec := g.spec()
		original := objectWithUnknownFields(t, kind, validatetest.RuleCase{Spec: spec})
		var old []byte
		if op == admissionv1.Update {
			old = objectWithUnknownFields(t, kind, validatetest.RuleCase{Spec: g.oldOf(spec)})
			if running && kind == linkstate.VirtualMachine {
				old = withStatus(t, old)
			}
		}
		request := func(obj []byte) admission.Request {
			req := createRequest(kind, obj)
			req.Operation = op
			req.OldObject.Raw = old
			return req
		}
		noRecover := func(r review.Reviewer) *admission.Webhook {
			return (&admission.Webhook{Handler: review.Handler(r)}).WithRecoverPanic(false)
		}
		mutator := noRecover(&mutate.Reviewer{Kind: kind, Rules: linkstate.Static(cfg)})
		validator := noRecover(&validate.Reviewer{Kind: kind, Rules: linkstate.Static(cfg)})
		ctx := context.Background()

		resp := mutator.Handle(ctx, request(original))
		if !resp.Allowed {
			t.Fatalf("mutation refused: %v", resp.Result)
		}
		statePath := regexp.MustCompile("^" + regexp.QuoteMeta(kind.SpecPointer) + `/domain/devices/interfaces/\d+/state$`)
		for _, p := range resp.Patches {
			if _, isString := p.Value.(string); (p.Operation != "add" && p.Operation != "replace") || !statePath.MatchString(p.Path) || !isString {
				t.Fatalf("patch operation %+v: only add or replace of a string at interfaces/N/state may be patched", p)
			}
		}
		mutated := apply(t, original, resp.Patches)
		before, after := withoutStates(t, kind, original), withoutStates(t, kind, mutated)
		if fmt.Sprint(before) != fmt.Sprint(after) {
			t.Fatalf("mutation changed more than states:\nbefore %v\nafter  %v", before, after)
		}

		if again := mutator.Handle(ctx, request(mutated)); len(again.Patches) != 0 {
			t.Fatalf("mutation does not converge: second pass patched %+v", again.Patches)
		}

		deniedBefore := causeFields(validator.Handle(ctx, request(original)))
		deniedAfter := causeFields(validator.Handle(ctx, request(mutated)))
		for field := range deniedAfter {
			if !deniedBefore[field] {
				t.Fatalf("mutation made %s invalid (config %+v, %s %s)\noriginal %s\nmutated  %s\nold      %s",
					field, cfg, op, kind.GroupKind.Kind, original, mutated, old)
			}
		}
	})
}

// withStatus marks a VM as running, the way KubeVirt's status says it.
func withStatus(t *testing.T, raw []byte) []byte {
	t.Helper()
	if raw[len(raw)-1] != '}' {
		t.Fatalf("not a JSON object: %s", raw)
	}
	return append(raw[:len(raw)-1:len(raw)-1], []byte(`,"status":{"created":true,"printableStatus":"Running"}}`)...)
}
