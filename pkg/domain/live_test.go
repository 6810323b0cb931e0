package domain

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// In testdata/libvirt-live.xml (a running KubeVirt domain as libvirt reports it): default
// has no <link>, sec is down, vendor has an explicit up, vfnet is an <interface
// type='hostdev'>, vf an SR-IOV <hostdev>, net0 an interface KubeVirt did not name.
const (
	liveDefault = `<interface type='ethernet'>
      <mac address='02:6b:1a:00:00:01'/>
      <target dev='tap0' managed='no'/>
      <model type='virtio-non-transitional'/>
      <mtu size='1480'/>
      <alias name='ua-default'/>
      <rom enabled='no'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>`
	liveSec = `<interface type='ethernet'>
      <mac address='02:6b:1a:00:00:02'/>
      <target dev='tap6d5f3c1a9e2' managed='no'/>
      <model type='virtio-non-transitional'/>
      <driver name='vhost' queues='2'/>
      <mtu size='1500'/>
      <link state='down'/>
      <alias name='ua-sec'/>
      <rom enabled='no'/>
      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
    </interface>`
	liveVendor = `<interface type='ethernet'>
      <mac address='02:6b:1a:00:00:03'/>
      <target dev='tap0b7e4d2c8f1' managed='no'/>
      <model type='virtio-non-transitional'/>
      <mtu size='1500'/>
      <link state='up'/>
      <alias name='ua-vendor'/>
      <rom enabled='no'/>
      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>
    </interface>`
)

func TestLivePlan(t *testing.T) {
	live := readFixture(t, "libvirt-live.xml")
	for _, el := range []string{liveDefault, liveSec, liveVendor} {
		if !strings.Contains(string(live), el) {
			t.Fatalf("fixture changed: no\n%s", el)
		}
	}
	tests := []struct {
		name  string
		links Links
		want  []Update
	}{{
		name:  "nothing differs: nothing to send",
		links: Links{"default": Up, "sec": Down, "vendor": Up},
	}, {
		name:  "nothing asked",
		links: nil,
	}, {
		name:  "down on an interface without <link>: the element with a <link> added",
		links: Links{"default": Down, "sec": Down},
		want: []Update{{Interface: "default", Link: Down, XML: strings.Replace(liveDefault,
			"function='0x0'/>\n", "function='0x0'/>\n      <link state='down'/>\n", 1)}},
	}, {
		name:  "up on a down interface: its <link> replaced by an explicit up",
		links: Links{"sec": Up},
		want: []Update{{Interface: "sec", Link: Up, XML: strings.Replace(strings.Replace(liveSec,
			"\n      <link state='down'/>", "", 1),
			"function='0x0'/>\n", "function='0x0'/>\n      <link state='up'/>\n", 1)}},
	}, {
		name:  "several, in the domain's order",
		links: Links{"vendor": Down, "sec": Up, "default": Up},
		want: []Update{{
			Interface: "sec", Link: Up, XML: strings.Replace(strings.Replace(liveSec,
				"\n      <link state='down'/>", "", 1),
				"function='0x0'/>\n", "function='0x0'/>\n      <link state='up'/>\n", 1),
		}, {
			Interface: "vendor", Link: Down, XML: strings.Replace(strings.Replace(liveVendor,
				"\n      <link state='up'/>", "", 1),
				"function='0x0'/>\n", "function='0x0'/>\n      <link state='down'/>\n", 1),
		}},
	}, {
		name:  "interfaces the domain does not have (yet) are skipped",
		links: Links{"hotplugged": Down},
	}, {
		name:  "passed-through VFs and SR-IOV host devices have no link",
		links: Links{"vfnet": Down, "vf": Down, "sriov-vf": Down},
	}, {
		name:  "devices KubeVirt did not name are not VMI interfaces",
		links: Links{"net0": Down, "gpu-gpu1": Down},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LivePlan(live, tc.links)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLivePlanBadXML(t *testing.T) {
	for doc, want := range map[string]string{
		"":                     "domain XML: no <domain> element",
		"<domain>":             "domain XML: XML syntax error on line 1: unexpected EOF",
		"<domain></dom>":       "domain XML: XML syntax error on line 1: element <domain> closed by </dom>",
		"<interface/>":         "domain XML: the root element is <interface>, not <domain>",
		"<domain>&x;</domain>": "domain XML: XML syntax error on line 1: invalid character entity &x;",
	} {
		_, err := LivePlan([]byte(doc), Links{"a": Down})
		if err == nil || err.Error() != want {
			t.Errorf("LivePlan(%q) error:\n got %v\nwant %s", doc, err, want)
		}
	}
}

// TestLivePlanConverges: once the plan is applied (each device's <link> as the update
// sets it), there is nothing left to send, and Status reports what was asked.
func TestLivePlanConverges(t *testing.T) {
	live := readFixture(t, "libvirt-live.xml")
	links := Links{"default": Down, "sec": Up, "vendor": Down}
	plan, err := LivePlan(live, links)
	if err != nil {
		t.Fatal(err)
	}
	updated := string(live)
	for _, u := range plan {
		before := map[string]string{"default": liveDefault, "sec": liveSec, "vendor": liveVendor}[u.Interface]
		updated = strings.Replace(updated, before, u.XML, 1)
	}
	again, err := LivePlan([]byte(updated), links)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("second plan: got %d updates, want none: %+v", len(again), again)
	}
	status, err := Status([]byte(updated))
	if err != nil {
		t.Fatal(err)
	}
	want := []LinkStatus{{"default", "down"}, {"sec", "up"}, {"vendor", "down"}, {"vfnet", ""}, {"vf", ""}}
	if diff := cmp.Diff(want, status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}
