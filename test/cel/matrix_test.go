package cel

import (
	"fmt"
	"testing"

	v1 "kubevirt.io/api/core/v1"

	. "github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/cel"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// The rule table has a row per rule; the matrix crosses everything a rule looks at, so
// that each binding, state spelling, model and network meets each rule: every binding
// KubeVirt's types have (and none, and two at once), every spelling of both dialects and
// illegal ones, on a secondary, the pod, a default Multus and a missing network.
var (
	matrixBindings = []struct {
		name string
		make func(name string, s v1.InterfaceState) v1.Interface
	}{
		{"bridge", Bridge},
		{"bridge-e1000", func(n string, s v1.InterfaceState) v1.Interface { return WithModel(Bridge(n, s), "e1000") }},
		{"masquerade", Masquerade},
		{"sriov", SRIOV},
		{"passtBinding", PasstBinding},
		{"slirp", Slirp},
		{"macvtap", Macvtap},
		{"passt", LegacyPasst},
		{"plugin-supported", func(n string, s v1.InterfaceState) v1.Interface { return Plugin(n, "good-plugin", s) }},
		{"plugin-unsupported", func(n string, s v1.InterfaceState) v1.Interface { return Plugin(n, "bad-plugin", s) }},
		{"plugin-unknown", func(n string, s v1.InterfaceState) v1.Interface { return Plugin(n, "mystery", s) }},
		{"no-binding", NoBinding},
		{"two-bindings", BridgeAndMasquerade},
	}
	matrixStates   = []v1.InterfaceState{"", "linkUp", "linkDown", "up", "down", "absent", "sideways", "Down"}
	matrixNetworks = []func(name string) *v1.Network{
		func(n string) *v1.Network { net := Multus(n); return &net },
		func(n string) *v1.Network { net := Pod(n); return &net },
		func(n string) *v1.Network { net := MultusDefault(n); return &net },
		func(string) *v1.Network { return nil },
	}
	// Each matrix object carries a few interfaces: enough to keep the request count low,
	// few enough that a denial listing all of them stays under a policy message's 5 KiB.
	matrixChunk = 5
)

// matrixConfigs are the settings the matrix runs under: both dialects, both actions of each
// setting, the plugins listed.
func matrixConfigs() []linkstate.Config {
	a := linkstate.DefaultConfig()
	if err := a.SetPlugins([]string{"good-plugin"}, []string{"bad-plugin"}); err != nil {
		panic(err)
	}
	b := a
	b.Dialect, b.PasstBinding, b.UnknownPlugins = linkstate.Upstream, linkstate.ActionWarn, linkstate.ActionDeny
	return []linkstate.Config{a, b}
}

// slot is one interface of the matrix: a binding, a state and a network.
type slot struct {
	binding int
	state   v1.InterfaceState
	network int
}

func (s slot) iface(i int) (v1.Interface, *v1.Network) {
	name := fmt.Sprintf("i%d", i)
	return matrixBindings[s.binding].make(name, s.state), matrixNetworks[s.network](name)
}

func specOfSlots(slots []slot) *v1.VirtualMachineInstanceSpec {
	var ifaces []v1.Interface
	var nets []v1.Network
	for i, s := range slots {
		iface, net := s.iface(i)
		ifaces = append(ifaces, iface)
		if net != nil {
			nets = append(nets, *net)
		}
	}
	return Spec(ifaces, nets...)
}

func chunks[T any](all []T, n int) [][]T {
	var out [][]T
	for len(all) > n {
		out = append(out, all[:n])
		all = all[n:]
	}
	return append(out, all)
}

// TestMatrixEquivalence: creates of every binding × state × network, as VM and VMI, under
// each matrix configuration; then, on running VMs, every binding plugged back in from
// absent to every state (T1) and hot-plugged in every state (T2); then updates of every
// binding from every state to every other (what counts as changed).
func TestMatrixEquivalence(t *testing.T) {
	var all []slot
	for b := range matrixBindings {
		for _, s := range matrixStates {
			for n := range matrixNetworks {
				all = append(all, slot{b, s, n})
			}
		}
	}
	var rows []row
	for ci, cfg := range matrixConfigs() {
		for i, part := range chunks(all, matrixChunk) {
			var trials []trial
			for _, k := range cel.Kinds {
				trials = append(trials, trial{kind: k, spec: specOfSlots(part)})
			}
			rows = append(rows, row{name: fmt.Sprintf("create-%d/%03d", ci, i), cfg: cfg, trials: trials})
		}
	}
	cfg := matrixConfigs()[0]
	// T1 and T2, on a running VM.
	var unplugged, replugged []slot
	for b := range matrixBindings {
		for _, s := range matrixStates {
			unplugged = append(unplugged, slot{b, "absent", 0})
			replugged = append(replugged, slot{b, s, 0})
		}
	}
	for i := range chunks(unplugged, matrixChunk) {
		old, new := chunks(unplugged, matrixChunk)[i], chunks(replugged, matrixChunk)[i]
		rows = append(rows, row{name: fmt.Sprintf("replug/%03d", i), cfg: cfg, trials: []trial{
			{kind: linkstate.VirtualMachine, old: specOfSlots(old), spec: specOfSlots(new), running: true},
		}})
	}
	for i, part := range chunks(replugged, matrixChunk) {
		rows = append(rows, row{name: fmt.Sprintf("hotplug/%03d", i), cfg: cfg, trials: []trial{
			{kind: linkstate.VirtualMachine, old: Spec(nil), spec: specOfSlots(part), running: true},
		}})
	}
	// Every state to every state, on each binding: only what changed is judged.
	var before, after []slot
	for b := range matrixBindings {
		for _, s1 := range matrixStates {
			for _, s2 := range matrixStates {
				before = append(before, slot{b, s1, 0})
				after = append(after, slot{b, s2, 0})
			}
		}
	}
	// And every binding to every other, the state kept.
	for b1 := range matrixBindings {
		for b2 := range matrixBindings {
			before = append(before, slot{b1, "linkDown", 0})
			after = append(after, slot{b2, "linkDown", 0})
		}
	}
	beforeChunks, afterChunks := chunks(before, matrixChunk), chunks(after, matrixChunk)
	for i := range beforeChunks {
		var trials []trial
		for _, k := range cel.Kinds {
			trials = append(trials, trial{kind: k, old: specOfSlots(beforeChunks[i]), spec: specOfSlots(afterChunks[i])})
		}
		rows = append(rows, row{name: fmt.Sprintf("change/%03d", i), cfg: cfg, trials: trials})
	}
	runEquivalence(t, "mx", rows)
}
