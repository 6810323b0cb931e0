package cel

import (
	"fmt"
	"strconv"
	"strings"

	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// generator holds what every policy is built from.
type generator struct {
	opts   Options
	spell  spellings
	fields []bindingField
	list   listForm
}

func newGenerator(opts Options) (*generator, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	g := &generator{opts: opts}
	var err error
	if g.spell, err = spellingsOf(opts.Config.Dialect); err != nil {
		return nil, err
	}
	if g.fields, err = bindingFields(); err != nil {
		return nil, err
	}
	if g.list, err = learnListForm(); err != nil {
		return nil, err
	}
	return g, nil
}

// specRoot is the optional CEL expression of the VMI spec inside obj ("object" or
// "oldObject"): object.?spec for a VMI, object.?spec.?template.?spec for a VM.
func specRoot(k linkstate.Kind, obj string) string {
	return obj + ".?" + strings.ReplaceAll(k.SpecPath.String(), ".", ".?")
}

// name is a variable's name for one side of an update: states, or oldStates.
func name(side, base string) string {
	if side == "" {
		return base
	}
	return side + strings.ToUpper(base[:1]) + base[1:]
}

// readers defines the variables that read one object's interfaces and networks, each a
// list with one entry per interface (or network), for the rules to index:
//
//	ifaces, networks    the lists themselves ([] when absent)
//	states, models      each interface's state and model ('' when absent)
//	meanings            each state's meaning: unset, up, down, absent or invalid (linkstate.Dialect.Interpret)
//	bindingKinds        each binding's linkstate.BindingKind (linkstate.ClassifyBinding)
//	bindingNames        the plugin's name, or the discontinued binding's; else ''
//	onDefaultNet        whether the first network of the interface's name is the default one
//	                    (linkstate.IsDefaultNetwork; no such network: false)
//
// side "" reads object, side "old" reads oldObject (empty lists unless the request is an UPDATE).
func (g *generator) readers(v *variables, k linkstate.Kind, side string) {
	obj, guard := "object", ""
	if side == "old" {
		obj, guard = "oldObject", "request.operation == 'UPDATE' ? "
	}
	orEmpty := func(expr string) string {
		if guard == "" {
			return expr + ".orValue([])"
		}
		return guard + expr + ".orValue([]) : []"
	}
	root := specRoot(k, obj)
	ref := func(base string) string { return "variables." + name(side, base) }

	v.add(name(side, "ifaces"), orEmpty(root+".?domain.?devices.?interfaces"))
	v.add(name(side, "networks"), orEmpty(root+".?networks"))
	v.add(name(side, "netNames"), ref("networks")+".map(n, n.name)")
	v.add(name(side, "netIsDefault"), ref("networks")+".map(n, has(n.pod) || n.?multus.?default.orValue(false))")
	v.add(name(side, "states"), ref("ifaces")+".map(i, i.?state.orValue(''))")
	v.add(name(side, "meanings"), fmt.Sprintf("%s.map(s, s in variables.spellings ? variables.spellings[s] : %s)", ref("states"), lit(meaningInvalid)))
	v.add(name(side, "models"), ref("ifaces")+".map(i, i.?model.orValue(''))")

	var counts, kinds, names []string
	for _, f := range g.fields {
		counts = append(counts, fmt.Sprintf("(has(i.%s) ? 1 : 0)", f.json))
	}
	// With exactly one binding member set, the first member found is it.
	for _, f := range g.fields[:len(g.fields)-1] {
		kinds = append(kinds, fmt.Sprintf("has(i.%s) ? %s", f.json, lit(string(f.binding.Kind))))
	}
	kinds = append(kinds, lit(string(g.fields[len(g.fields)-1].binding.Kind)))
	for _, f := range g.fields {
		switch {
		case f.binding.Kind == linkstate.BindingPlugin:
			names = append(names, fmt.Sprintf("has(i.%s) ? i.%s.name", f.json, f.json))
		case f.binding.Name != "":
			names = append(names, fmt.Sprintf("has(i.%s) ? %s", f.json, lit(f.binding.Name)))
		}
	}
	names = append(names, "''")
	v.add(name(side, "bindingCounts"), ref("ifaces")+".map(i,\n  "+strings.Join(counts, " +\n  ")+")")
	v.add(name(side, "bindingKinds"), fmt.Sprintf("%s.transformList(x, i,\n  %s[x] == 0 ? %s :\n  %s[x] > 1 ? %s :\n  %s)",
		ref("ifaces"), ref("bindingCounts"), lit(string(linkstate.BindingNone)),
		ref("bindingCounts"), lit(string(linkstate.BindingAmbiguous)), strings.Join(kinds, " :\n  ")))
	v.add(name(side, "bindingNames"), fmt.Sprintf("%s.transformList(x, i,\n  %s[x] != 1 ? '' :\n  %s)",
		ref("ifaces"), ref("bindingCounts"), strings.Join(names, " :\n  ")))
	v.add(name(side, "netIndex"), ref("ifaces")+".map(i, "+ref("netNames")+".indexOf(i.name))")
	v.add(name(side, "onDefaultNet"), ref("netIndex")+".map(n, n >= 0 && "+ref("netIsDefault")+"[n])")
}

// shared defines what both sides of an update read with.
func (g *generator) shared(v *variables) {
	v.add("spellings", mapLit(g.spell.values, g.spell.meaning))
}

// comparison defines, for an update, which interfaces the rules judge: on CREATE all of
// them; on UPDATE those whose state (by meaning: an alias and its canonical spelling are
// the same), model, binding or default-network-ness differs from the first old interface
// of the same name, and the new ones (validate.InterfacesUpdate).
//
//	oldIndex   the index of the old interface of the same name, or -1
//	judged     whether each interface is judged
func (g *generator) comparison(v *variables) {
	v.add("oldNames", "variables.oldIfaces.map(o, o.name)")
	v.add("oldIndex", "variables.ifaces.map(i, variables.oldNames.indexOf(i.name))")
	old := func(list string) string { return "variables.old" + list + "[variables.oldIndex[x]]" }
	notCompared := listLit([]string{meaningInvalid, meaningNames[linkstate.MeaningUnset]})
	unchanged := strings.Join([]string{
		fmt.Sprintf("(variables.meanings[x] in %s || %s in %s ?\n    variables.states[x] == %s :\n    variables.meanings[x] == %s)",
			notCompared, old("Meanings"), notCompared, old("States"), old("Meanings")),
		"variables.models[x] == " + old("Models"),
		"variables.bindingKinds[x] == " + old("BindingKinds"),
		"variables.bindingNames[x] == " + old("BindingNames"),
		"variables.onDefaultNet[x] == " + old("OnDefaultNet"),
	}, " &&\n  ")
	v.add("judged", "variables.ifaces.transformList(x, i, variables.oldIndex[x] < 0 || !(\n  "+unchanged+"))")
}

// running defines whether the old VM's status says it runs (linkstate.VMStatusRunning).
func (g *generator) running(v *variables) {
	v.add("running", fmt.Sprintf("request.operation == 'UPDATE' && (\n  oldObject.?status.?created.orValue(false) ||\n  "+
		"oldObject.?status.?ready.orValue(false) ||\n  oldObject.?status.?printableStatus.orValue('') in %s)", listLit(runningStatuses())))
}

// fieldPath is the CEL expression printing the path of interfaces[x].child for kind k.
func fieldPath(k linkstate.Kind, child string) cat {
	text := k.SpecPath.Child("domain", "devices", "interfaces").Index(tokIndex).Child(child).String()
	expr, err := fill(text, hole{strconv.Itoa(tokIndex), cat{"string(x)"}})
	if err != nil {
		panic(err) // the path is printed by field.Path: a failure here is a bug, not input
	}
	return expr
}

// virtioModels are the model values with which an interface is virtio (linkstate.IsVirtioModel).
func virtioModels() ([]string, error) {
	models := []string{"", v1.VirtIO}
	for _, m := range models {
		if !linkstate.IsVirtioModel(&v1.Interface{Model: m}) {
			return nil, fmt.Errorf("linkstate.IsVirtioModel no longer takes %q for virtio", m)
		}
	}
	return models, nil
}
