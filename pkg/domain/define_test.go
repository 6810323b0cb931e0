package domain

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

func vmiWith(ifaces ...v1.Interface) *v1.VirtualMachineInstance {
	vmi := &v1.VirtualMachineInstance{}
	vmi.Spec.Domain.Devices.Interfaces = ifaces
	return vmi
}

// config is the default settings with vendor-x declared supported and vendor-y not.
func config(d linkstate.Dialect) linkstate.Config {
	cfg := linkstate.DefaultConfig()
	cfg.Dialect = d
	if err := cfg.SetPlugins([]string{"vendor-x"}, []string{"vendor-y"}); err != nil {
		panic(err)
	}
	return cfg
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestDesired(t *testing.T) {
	tests := []struct {
		name    string
		dialect linkstate.Dialect
		ifaces  []v1.Interface
		want    Links
		wantErr string
	}{{
		name:    "seed spellings on tap bindings",
		dialect: linkstate.Seed,
		ifaces: fixture.Ifaces(
			fixture.Masquerade("default", "linkUp"),
			fixture.Bridge("sec", "linkDown"),
			fixture.NoBinding("nobinding", "linkDown"),
			fixture.Bridge("empty", ""),
		),
		want: Links{"default": Up, "sec": Down, "nobinding": Down, "empty": Up},
	}, {
		name:    "upstream spellings, and the other dialect's as aliases",
		dialect: linkstate.Upstream,
		ifaces: fixture.Ifaces(
			fixture.Bridge("a", "down"),
			fixture.Bridge("b", "up"),
			fixture.Bridge("c", "linkDown"),
			fixture.Bridge("d", "linkUp"),
		),
		want: Links{"a": Down, "b": Up, "c": Down, "d": Up},
	}, {
		name:    "seed reads upstream spellings too",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("a", "down"), fixture.Masquerade("b", "up")),
		want:    Links{"a": Down, "b": Up},
	}, {
		name:    "absent gets nothing",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("gone", "absent"), fixture.Bridge("here", "linkDown")),
		want:    Links{"here": Down},
	}, {
		name:    "SR-IOV, passtBinding and plugins not declared supported get nothing",
		dialect: linkstate.Seed,
		ifaces: fixture.Ifaces(
			fixture.SRIOV("vf", "linkDown"),
			fixture.PasstBinding("passt", "linkDown"),
			fixture.Plugin("unsupported", "vendor-y", "linkDown"),
			fixture.Plugin("unknown", "vendor-z", "linkDown"),
			fixture.Slirp("old", "linkDown"),
			fixture.BridgeAndMasquerade("two", "linkDown"),
		),
		want: Links{},
	}, {
		name:    "a plugin declared supported",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Plugin("vendor", "vendor-x", "linkDown"), fixture.Plugin("vendor2", "vendor-x", "")),
		want:    Links{"vendor": Down, "vendor2": Up},
	}, {
		name:    "an unknown state on a tap binding is an error naming the field",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.Bridge("ok", "linkDown"), fixture.Bridge("bad", "Down"), fixture.Masquerade("bad2", "off")),
		wantErr: `[spec.domain.devices.interfaces[1].state: Unsupported value: "Down": supported values: "linkUp", "linkDown", "absent", "up", "down", spec.domain.devices.interfaces[2].state: Unsupported value: "off": supported values: "linkUp", "linkDown", "absent", "up", "down"]`,
	}, {
		name:    "an unknown state where link state does not apply is not read",
		dialect: linkstate.Seed,
		ifaces:  fixture.Ifaces(fixture.SRIOV("vf", "Down"), fixture.Bridge("ok", "")),
		want:    Links{"ok": Up},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Desired(config(tc.dialect), vmiWith(tc.ifaces...))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error:\n got %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
		})
	}
}

// compact is a domain in libvirt's own formatting, small enough to spell out results.
const compact = `<domain type='qemu'>
  <name>d</name>
  <devices>
    <interface type='ethernet'>
      <mac address='02:00:00:00:00:01'/>
      <alias name='ua-a'/>
    </interface>
    <interface type='ethernet'>
      <mac address='02:00:00:00:00:02'/>
      <link state='down'/>
      <alias name='ua-b'/>
    </interface>
    <interface type='hostdev'>
      <alias name='ua-vfnet'/>
    </interface>
    <hostdev mode='subsystem' type='pci'>
      <alias name='ua-sriov-vf'/>
    </hostdev>
  </devices>
</domain>
`

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		links   Links
		want    string // replacements of compact: old, new, old, new …
		wantErr string
	}{{
		name:  "down is added after the last child, indented like the others",
		doc:   compact,
		links: Links{"a": Down},
		want: strings.Replace(compact,
			"<alias name='ua-a'/>\n",
			"<alias name='ua-a'/>\n      <link state='down'/>\n", 1),
	}, {
		name:  "up clears a down link with its indentation",
		doc:   compact,
		links: Links{"b": Up},
		want:  strings.Replace(compact, "\n      <link state='down'/>", "", 1),
	}, {
		name:  "both at once",
		doc:   compact,
		links: Links{"a": Down, "b": Up},
		want: strings.Replace(strings.Replace(compact,
			"<alias name='ua-a'/>\n", "<alias name='ua-a'/>\n      <link state='down'/>\n", 1),
			"\n      <link state='down'/>\n      <alias name='ua-b'/>", "\n      <alias name='ua-b'/>", 1),
	}, {
		name:  "already as wanted: the same bytes",
		doc:   compact,
		links: Links{"a": Up, "b": Down},
		want:  compact,
	}, {
		name:  "an explicit up link is up: left as it is",
		doc:   strings.Replace(compact, "state='down'", "state='up'", 1),
		links: Links{"b": Up},
		want:  strings.Replace(compact, "state='down'", "state='up'", 1),
	}, {
		name:  "an explicit up link wanted down is replaced, not doubled",
		doc:   strings.Replace(compact, "state='down'", "state='up'", 1),
		links: Links{"b": Down},
		want:  strings.Replace(compact, "\n      <link state='down'/>\n      <alias name='ua-b'/>", "\n      <alias name='ua-b'/>\n      <link state='down'/>", 1),
	}, {
		name:  "no links asked: the same bytes",
		doc:   compact,
		links: nil,
		want:  compact,
	}, {
		name:  "an interface wanted up that is not in the domain is fine",
		doc:   compact,
		links: Links{"nothere": Up},
		want:  compact,
	}, {
		name:    "an interface wanted down that is not in the domain is an error",
		doc:     compact,
		links:   Links{"nothere": Down, "a": Down},
		wantErr: `cannot set the link down: "nothere" has no <interface> with alias "ua-nothere"`,
	}, {
		name:    "a passed-through VF wanted down is an error",
		doc:     compact,
		links:   Links{"vfnet": Down},
		wantErr: `cannot set the link down: "vfnet" is a passed-through host device (type='hostdev'), which has no link to set down`,
	}, {
		name:  "a passed-through VF wanted up: nothing to do",
		doc:   compact,
		links: Links{"vfnet": Up},
		want:  compact,
	}, {
		name:    "an SR-IOV hostdev is never an interface, even by name",
		doc:     compact,
		links:   Links{"vf": Down, "sriov-vf": Down},
		wantErr: `cannot set the link down: "sriov-vf" has no <interface> with alias "ua-sriov-vf"; "vf" has no <interface> with alias "ua-vf"`,
	}, {
		name:  "KubeVirt's own encoding of a down link (v1.5 writes it for down) is cleared for up",
		doc:   "<domain>\n\t<devices>\n\t\t<interface type=\"ethernet\">\n\t\t\t<link state=\"down\"></link>\n\t\t\t<alias name=\"ua-a\"></alias>\n\t\t</interface>\n\t</devices>\n</domain>",
		links: Links{"a": Up},
		want:  "<domain>\n\t<devices>\n\t\t<interface type=\"ethernet\">\n\t\t\t<alias name=\"ua-a\"></alias>\n\t\t</interface>\n\t</devices>\n</domain>",
	}, {
		name:  "no whitespace at all",
		doc:   `<domain><devices><interface type='user'><alias name='ua-a'/></interface></devices></domain>`,
		links: Links{"a": Down},
		want:  `<domain><devices><interface type='user'><alias name='ua-a'/><link state='down'/></interface></devices></domain>`,
	}, {
		name:  "a <link> in another namespace is not libvirt's",
		doc:   `<domain xmlns:x='urn:x'><devices><interface type='user'><x:link state='down'/><alias name='ua-a'/></interface></devices></domain>`,
		links: Links{"a": Down},
		want:  `<domain xmlns:x='urn:x'><devices><interface type='user'><x:link state='down'/><alias name='ua-a'/><link state='down'/></interface></devices></domain>`,
	}, {
		name:  "an <interface> outside <devices> is not a device",
		doc:   `<domain><metadata><interface type='user'><alias name='ua-a'/></interface></metadata><devices><interface type='user'><alias name='ua-a'/></interface></devices></domain>`,
		links: Links{"a": Down},
		want:  `<domain><metadata><interface type='user'><alias name='ua-a'/></interface></metadata><devices><interface type='user'><alias name='ua-a'/><link state='down'/></interface></devices></domain>`,
	}, {
		name:    "not XML",
		doc:     `{"kind": "VirtualMachineInstance"}`,
		links:   Links{"a": Down},
		wantErr: `domain XML: no <domain> element`,
	}, {
		name:    "not well-formed",
		doc:     `<domain><devices><interface type='user'></devices></domain>`,
		wantErr: `domain XML: XML syntax error on line 1: element <interface> closed by </devices>`,
	}, {
		name:    "truncated",
		doc:     `<domain><devices>`,
		wantErr: `domain XML: XML syntax error on line 1: unexpected EOF`,
	}, {
		name:    "not a domain",
		doc:     `<network><name>default</name></network>`,
		wantErr: `domain XML: the root element is <network>, not <domain>`,
	}, {
		name:    "two domains",
		doc:     `<domain/><domain/>`,
		wantErr: `domain XML: more than one root element`,
	}, {
		name:    "two aliases: which interface is it?",
		doc:     `<domain><devices><interface type='user'><alias name='ua-a'/><alias name='ua-b'/></interface></devices></domain>`,
		links:   Links{"b": Down},
		wantErr: `domain XML: the device at byte 17 has two <alias> elements`,
	}, {
		name:    "two links: which one holds?",
		doc:     `<domain><devices><interface type='user'><link state='up'/><alias name='ua-a'/><link state='down'/></interface></devices></domain>`,
		links:   Links{"a": Up},
		wantErr: `domain XML: the <interface> at byte 17 has two <link> elements`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply([]byte(tc.doc), tc.links)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error:\n got %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("domain XML (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefineKubeVirtHookInput runs Define on a domain as KubeVirt hands it to an
// onDefineDomain hook (its own encoding: tabs, double quotes, no self-closing tags, a
// <hostdev> without mode), for a VMI with every kind of binding.
func TestDefineKubeVirtHookInput(t *testing.T) {
	in := readFixture(t, "kubevirt-hook-input.xml")
	vmi := vmiWith(
		fixture.Masquerade("default", ""),
		fixture.Bridge("sec", "linkDown"),
		fixture.Plugin("vendor", "vendor-x", "down"),
		fixture.PasstBinding("passt", "linkDown"),
		fixture.SRIOV("vf", "linkDown"),
		fixture.Bridge("unplugged", "absent"),
	)
	got, err := Define(config(linkstate.Seed), vmi, in)
	if err != nil {
		t.Fatal(err)
	}
	want := string(in)
	for _, alias := range []string{"ua-sec", "ua-vendor"} {
		// The new <link> goes after the interface's last child.
		i := strings.Index(want, `<alias name="`+alias+`"></alias>`)
		end := i + strings.Index(want[i:], "\n\t\t</interface>")
		want = want[:end] + "\n\t\t\t<link state='down'/>" + want[end:]
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("domain XML (-want +got):\n%s", diff)
	}
	// What KubeVirt does with the hook's answer: read it back into a domain.
	links, err := Status(got)
	if err != nil {
		t.Fatal(err)
	}
	wantLinks := []LinkStatus{{"default", "up"}, {"sec", "down"}, {"vendor", "down"}, {"passt", "up"}, {"vf", ""}}
	if diff := cmp.Diff(wantLinks, links); diff != "" {
		t.Errorf("links read back (-want +got):\n%s", diff)
	}
}

func TestDefineFailsClosed(t *testing.T) {
	in := readFixture(t, "kubevirt-hook-input.xml")
	// A supported plugin whose interface the domain does not have.
	vmi := vmiWith(fixture.Masquerade("default", ""), fixture.Plugin("elsewhere", "vendor-x", "linkDown"))
	_, err := Define(config(linkstate.Seed), vmi, in)
	want := `cannot set the link down: "elsewhere" has no <interface> with alias "ua-elsewhere"`
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got %v\nwant %s", err, want)
	}
	_, err = Define(config(linkstate.Seed), vmiWith(fixture.Bridge("sec", "Down")), in)
	if err == nil || !strings.Contains(err.Error(), `spec.domain.devices.interfaces[0].state: Unsupported value: "Down"`) {
		t.Fatalf("error: got %v, want the unsupported value named", err)
	}
}
