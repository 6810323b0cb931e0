package domain

import (
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"libvirt.org/go/libvirtxml"
)

var fixtures = []string{"kubevirt-hook-input.xml", "libvirt-live.xml", "unknown-xml.xml"}

// TestApplyKeepsUnknownXML: only the <link>s of the interfaces that change are touched;
// comments, processing instructions, CDATA, entities, unknown elements and attributes,
// other namespaces and odd formatting all survive byte for byte.
func TestApplyKeepsUnknownXML(t *testing.T) {
	in := string(readFixture(t, "unknown-xml.xml"))
	got, err := Apply([]byte(in), Links{"a": Down, "b": Up, "c": Up})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(in, "<alias name='ua-a'/>\n", "<alias name='ua-a'/>\n      <link state='down'/>\n", 1)
	want = strings.Replace(want, "\n      <link   state = \"down\" />", "", 1)
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("domain XML (-want +got):\n%s", diff)
	}
}

// TestLibvirtxmlDropsUnknownXML is why this package never re-encodes a whole domain:
// libvirtxml's round trip loses what it does not model. If this starts failing, libvirtxml
// has learnt to keep it, and the splicing could be simpler.
func TestLibvirtxmlDropsUnknownXML(t *testing.T) {
	in := readFixture(t, "unknown-xml.xml")
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(string(in)); err != nil {
		t.Fatal(err)
	}
	out, err := dom.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var lost []string
	for _, s := range []string{"futureTopLevel", "futureNicTuning", "futureDevice", "future:policy", "a comment inside", "vendor-hint"} {
		if !strings.Contains(out, s) {
			lost = append(lost, s)
		}
	}
	if len(lost) == 0 {
		t.Errorf("libvirtxml kept everything:\n%s", out)
	}
	t.Logf("libvirtxml's round trip lost %v", lost)
}

var linkElementRE = regexp.MustCompile(`\s*<link\b[^>]*/>`)

// TestApplyProperties tries combinations of up, down and nothing over the interfaces of
// each fixture (and one it lacks), and checks what must hold whatever the combination:
//   - the result is a domain Status reads, with the links asked and the others unchanged;
//   - outside of <link> elements, not a byte changed;
//   - Apply is idempotent, and a live plan on the result has nothing to send.
func TestApplyProperties(t *testing.T) {
	for _, name := range fixtures {
		in := readFixture(t, name)
		before, err := Status(in)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range before {
			names = append(names, s.Name)
		}
		names = append(names, "missing")
		combos := 1
		for range names {
			combos *= 3
		}
		// Every combination for small fixtures; a fixed sample of 150 of the 729 for the
		// larger ones, so the race-enabled unit run stays quick.
		rng := rand.New(rand.NewPCG(1, uint64(len(name))))
		for k := 0; k < min(combos, 150); k++ {
			c := k
			if combos > 150 {
				c = rng.IntN(combos)
			}
			links := Links{}
			for i, n := 0, c; i < len(names); i, n = i+1, n/3 {
				switch n % 3 {
				case 1:
					links[names[i]] = Up
				case 2:
					links[names[i]] = Down
				}
			}
			out, err := Apply(in, links)
			if wantErr := refusesDown(before, links); wantErr != (err != nil) {
				t.Fatalf("%s %v: error %v, want an error: %v", name, links, err, wantErr)
			}
			if err != nil {
				continue
			}
			after, err := Status(out)
			if err != nil {
				t.Fatalf("%s %v: result unreadable: %v\n%s", name, links, err, out)
			}
			for i, s := range before {
				want := s
				if l, ok := links[s.Name]; ok && s.LinkState != "" {
					want.LinkState = string(l)
				}
				if i >= len(after) || after[i] != want {
					t.Fatalf("%s %v: status %v, want %v at %d", name, links, after, want, i)
				}
			}
			if got, want := linkElementRE.ReplaceAllString(string(out), ""), linkElementRE.ReplaceAllString(string(in), ""); got != want {
				t.Fatalf("%s %v: changed outside <link>:\n%s", name, links, cmp.Diff(want, got))
			}
			again, err := Apply(out, links)
			if err != nil || string(again) != string(out) {
				t.Fatalf("%s %v: not idempotent (%v):\n%s", name, links, err, cmp.Diff(string(out), string(again)))
			}
			if plan, err := LivePlan(out, links); err != nil || len(plan) != 0 {
				t.Fatalf("%s %v: live plan after Apply: %v %+v", name, links, err, plan)
			}
		}
	}
}

// refusesDown: Apply must refuse a down link on an interface it cannot set one on.
func refusesDown(status []LinkStatus, links Links) bool {
	settable := map[string]bool{}
	for _, s := range status {
		settable[s.Name] = s.LinkState != ""
	}
	for n, l := range links {
		if l == Down && !settable[n] {
			return true
		}
	}
	return false
}

// FuzzApply: no input panics, and whatever Apply accepts comes out as a domain that
// reads back as asked and needs no further change.
func FuzzApply(f *testing.F) {
	for _, name := range fixtures {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, "a", "b")
		f.Add(raw, "sec", "default")
	}
	f.Add([]byte(compact), "a", "b")
	f.Add([]byte(`<domain><devices><interface type='user'><alias name='ua-a'/></interface></devices></domain>`), "a", "")
	f.Fuzz(func(t *testing.T, doc []byte, down, up string) {
		links := Links{down: Down, up: Up}
		if down == up {
			links = Links{down: Down}
		}
		out, err := Apply(doc, links)
		if _, serr := Status(doc); (serr != nil) && err == nil {
			t.Fatalf("Apply accepted what Status refuses: %v", serr)
		}
		if err != nil {
			return
		}
		status, err := Status(out)
		if err != nil {
			t.Fatalf("result unreadable: %v\n%s", err, out)
		}
		for _, s := range status {
			if l, ok := links[s.Name]; ok && s.LinkState != "" && s.LinkState != string(l) {
				t.Fatalf("%s: link %s, want %s\n%s", s.Name, s.LinkState, l, out)
			}
		}
		if plan, err := LivePlan(out, links); err != nil || len(plan) != 0 {
			t.Fatalf("live plan after Apply: %v %+v", err, plan)
		}
		again, err := Apply(out, links)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %v", err)
		}
	})
}
