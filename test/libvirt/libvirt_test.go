//go:build libvirt

// Package libvirt proves pkg/domain against a real libvirt and a real QEMU, driven from
// outside with virsh as an operator would: `make libvirt-test` installs libvirt and QEMU
// from Debian's apt, starts libvirtd and runs these tests (docs/launcher.md).
package libvirt

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/fixture"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/domain"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// virsh runs virsh on a connection and returns its stdout; a failure fails the test with
// virsh's own message.
func virsh(t *testing.T, uri string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("virsh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// getLink is `virsh domif-getlink` for the interface with this MAC: "up" or "down".
func getLink(t *testing.T, uri, dom, mac string) string {
	t.Helper()
	out := strings.Fields(virsh(t, uri, "domif-getlink", dom, mac))
	if len(out) != 2 || out[0] != mac {
		t.Fatalf("domif-getlink %s %s: unexpected output %q", dom, mac, out)
	}
	return out[1]
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func vmi(ifaces ...v1.Interface) *v1.VirtualMachineInstance {
	v := &v1.VirtualMachineInstance{}
	v.Spec.Domain.Devices.Interfaces = ifaces
	return v
}

func config() linkstate.Config {
	cfg := linkstate.DefaultConfig()
	if err := cfg.SetPlugins([]string{"vendor-x"}, nil); err != nil {
		panic(err)
	}
	return cfg
}

// TestTestDriver: libvirt's own parser (its test driver, in process, no daemon) accepts
// every domain Define writes into KubeVirt's encoding of a domain, domif-getlink reports
// the links Define set, and Status reads the same links from libvirt's own XML output.
func TestTestDriver(t *testing.T) {
	in, err := os.ReadFile("testdata/kubevirt-domain.xml")
	if err != nil {
		t.Fatal(err)
	}
	macs := map[string]string{"default": "02:6b:1a:00:00:01", "sec": "02:6b:1a:00:00:02", "vendor": "02:6b:1a:00:00:03"}
	states := []v1.InterfaceState{"linkUp", "linkDown"}
	for c := 0; c < 8; c++ {
		s := func(bit int) v1.InterfaceState { return states[c>>bit&1] }
		spec := vmi(
			fixture.Masquerade("default", s(0)),
			fixture.Bridge("sec", s(1)),
			fixture.Plugin("vendor", "vendor-x", s(2)),
			fixture.SRIOV("vf", ""),
		)
		want := map[string]string{"default": linkOf(s(0)), "sec": linkOf(s(1)), "vendor": linkOf(s(2))}
		t.Run(fmt.Sprintf("default=%s,sec=%s,vendor=%s", s(0), s(1), s(2)), func(t *testing.T) {
			out, err := domain.Define(config(), spec, in)
			if err != nil {
				t.Fatal(err)
			}
			// The test driver reads its domains from a node description when it connects.
			dir := t.TempDir()
			writeFile(t, dir, "domain.xml", string(out))
			node := writeFile(t, dir, "node.xml", "<node><domain file='domain.xml'/></node>")
			uri := "test://" + node
			for name, mac := range macs {
				if got := getLink(t, uri, "tenant-a_vm1", mac); got != want[name] {
					t.Errorf("domif-getlink %s (%s): %s, want %s", name, mac, got, want[name])
				}
			}
			status, err := domain.Status([]byte(virsh(t, uri, "dumpxml", "tenant-a_vm1")))
			if err != nil {
				t.Fatal(err)
			}
			wantStatus := []domain.LinkStatus{{Name: "default", LinkState: want["default"]}, {Name: "sec", LinkState: want["sec"]},
				{Name: "vendor", LinkState: want["vendor"]}, {Name: "vf"}}
			if diff := cmp.Diff(wantStatus, status); diff != "" {
				t.Errorf("status from libvirt's XML (-want +got):\n%s", diff)
			}
		})
	}
}

func linkOf(s v1.InterfaceState) string {
	if s == "linkDown" {
		return "down"
	}
	return "up"
}

// TestSchema: what Apply writes into a domain libvirt wrote validates against libvirt's
// own RelaxNG schema (virt-xml-validate), as does every device LivePlan sends.
func TestSchema(t *testing.T) {
	live, err := os.ReadFile("../../pkg/domain/testdata/libvirt-live.xml")
	if err != nil {
		t.Fatal(err)
	}
	validate := func(t *testing.T, doc string) {
		t.Helper()
		path := writeFile(t, t.TempDir(), "domain.xml", doc)
		if out, err := exec.Command("virt-xml-validate", path, "domain").CombinedOutput(); err != nil {
			t.Fatalf("virt-xml-validate: %v\n%s\n%s", err, out, doc)
		}
	}
	validate(t, string(live))
	for _, links := range []domain.Links{
		{"default": domain.Down, "sec": domain.Up, "vendor": domain.Down},
		{"default": domain.Down, "sec": domain.Down, "vendor": domain.Down},
	} {
		out, err := domain.Apply(live, links)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, string(out))
		plan, err := domain.LivePlan(live, links)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan) == 0 {
			t.Fatalf("no plan for %v", links)
		}
		// A device alone has no schema of its own: it is validated inside a domain.
		for _, u := range plan {
			validate(t, "<domain type='kvm'><name>d</name><memory>65536</memory><os><type>hvm</type></os><devices>"+u.XML+"</devices></domain>")
		}
	}
}

// TestQEMU: a real QEMU guest with two interfaces, one down from the start, its links
// turned down and up by the package's live plan sent with update-device --live --config,
// observed from outside: domif-getlink, the live and persistent XML, and QEMU's own log
// of the set_link commands it handled.
func TestQEMU(t *testing.T) {
	uri := envOr("LIBVIRT_URI", "qemu:///system")
	name := fmt.Sprintf("linkstate-test-%d-%d", os.Getpid(), time.Now().Unix())
	logPath := filepath.Join(envOr("LIBVIRT_QEMU_LOG_DIR", "/var/log/libvirt/qemu"), name+".log")
	macs := map[string]string{"default": "02:6b:1a:00:00:01", "sec": "02:6b:1a:00:00:02"}
	tmpl, err := os.ReadFile("testdata/qemu-domain.xml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config()
	step := func(what string, start time.Time) {
		t.Logf("%-44s %6.0f ms", what, float64(time.Since(start).Microseconds())/1000)
	}

	// 1. Definition: the VMI asks for sec down from the start.
	start := time.Now()
	defined, err := domain.Define(cfg, vmi(fixture.Masquerade("default", ""), fixture.Bridge("sec", "linkDown")),
		bytes.Replace(tmpl, []byte("<name>NAME</name>"), []byte("<name>"+name+"</name>"), 1))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	virsh(t, uri, "define", writeFile(t, dir, "domain.xml", string(defined)))
	t.Cleanup(func() {
		exec.Command("virsh", "-c", uri, "destroy", name).Run()
		exec.Command("virsh", "-c", uri, "undefine", name).Run()
		os.Remove(logPath)
	})
	virsh(t, uri, "start", name)
	step("define and start the domain", start)
	if got := strings.TrimSpace(virsh(t, uri, "domstate", name)); got != "running" {
		t.Fatalf("domain state %q, want running", got)
	}

	check := func(t *testing.T, want map[string]string, wantSetLink []string) {
		t.Helper()
		for iface, mac := range macs {
			if got := getLink(t, uri, name, mac); got != want[iface] {
				t.Errorf("domif-getlink %s: %s, want %s", iface, got, want[iface])
			}
		}
		wantStatus := []domain.LinkStatus{{Name: "default", LinkState: want["default"]}, {Name: "sec", LinkState: want["sec"]}}
		for _, flags := range [][]string{nil, {"--inactive"}} {
			status, err := domain.Status([]byte(virsh(t, uri, append([]string{"dumpxml", name}, flags...)...)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantStatus, status); diff != "" {
				t.Errorf("status from dumpxml %v (-want +got):\n%s", flags, diff)
			}
		}
		if diff := cmp.Diff(wantSetLink, setLinks(t, logPath)); diff != "" {
			t.Errorf("set_link commands in QEMU's log %s (-want +got):\n%s", logPath, diff)
		}
	}
	// libvirt brings sec down as QEMU starts.
	setLink := []string{"ua-sec up=false"}
	check(t, map[string]string{"default": "up", "sec": "down"}, setLink)

	// 2. and 3. The running VMI's spec changes; the live plan is sent, then nothing is left.
	for _, change := range []struct {
		spec        *v1.VirtualMachineInstance
		want        map[string]string
		wantUpdates []string
	}{{
		spec:        vmi(fixture.Masquerade("default", "linkDown"), fixture.Bridge("sec", "linkUp")),
		want:        map[string]string{"default": "down", "sec": "up"},
		wantUpdates: []string{"ua-default up=false", "ua-sec up=true"},
	}, {
		spec:        vmi(fixture.Masquerade("default", "up"), fixture.Bridge("sec", "down")),
		want:        map[string]string{"default": "up", "sec": "down"},
		wantUpdates: []string{"ua-default up=true", "ua-sec up=false"},
	}, {
		spec:        vmi(fixture.Masquerade("default", "linkUp"), fixture.Bridge("sec", "linkUp")),
		want:        map[string]string{"default": "up", "sec": "up"},
		wantUpdates: []string{"ua-sec up=true"},
	}} {
		links, err := domain.Desired(cfg, change.spec)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		plan, err := domain.LivePlan([]byte(virsh(t, uri, "dumpxml", name)), links)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan) != len(change.wantUpdates) {
			t.Fatalf("plan for %v: %d updates, want %d: %+v", links, len(plan), len(change.wantUpdates), plan)
		}
		for i, u := range plan {
			virsh(t, uri, "update-device", name, writeFile(t, dir, fmt.Sprintf("update-%d.xml", i), u.XML), "--live", "--config")
		}
		step(fmt.Sprintf("read live XML, plan and send %d update(s)", len(plan)), start)
		setLink = append(setLink, change.wantUpdates...)
		check(t, change.want, setLink)
		again, err := domain.LivePlan([]byte(virsh(t, uri, "dumpxml", name)), links)
		if err != nil || len(again) != 0 {
			t.Errorf("after the updates the plan is still %+v (%v)", again, err)
		}
	}
}

var setLinkRE = regexp.MustCompile(`handle_qmp_command .*"execute": "set_link", "arguments": \{"name": "([^"]+)", "up": (true|false)\}`)

// setLinks lists the set_link commands QEMU traced into its log, in order.
func setLinks(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("QEMU's log: %v", err)
	}
	var out []string
	for _, m := range setLinkRE.FindAllStringSubmatch(string(raw), -1) {
		out = append(out, m[1]+" up="+m[2])
	}
	return out
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
