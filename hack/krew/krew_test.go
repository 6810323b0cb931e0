package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const committed = "../../plugins/linkstate.yaml"

// The committed manifest is valid for krew, and is exactly what this program writes for its
// version and checksums: nobody edited it by hand, and the generator did not drift from it.
func TestCommittedManifest(t *testing.T) {
	data, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseManifest(data)
	if err != nil {
		t.Fatalf("%s: %v", committed, err)
	}
	if err := m.validate(pluginName); err != nil {
		t.Fatalf("%s: %v", committed, err)
	}
	sums := map[target]string{}
	for _, p := range m.Spec.Platforms {
		sums[target{p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]}] = p.Sha256
	}
	regenerated, err := newManifest(m.Spec.Version, sums).marshal()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(regenerated), string(data)); diff != "" {
		t.Errorf("%s is not what `make krew-manifest VERSION=%s` writes (-generated +committed):\n%s", committed, m.Spec.Version, diff)
	}
}

// validate rejects what krew's validator rejects.
func TestValidateRejects(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for name, tc := range map[string]struct {
		edit func(*manifest)
		want string
	}{
		"apiVersion":          {func(m *manifest) { m.APIVersion = "krew.googlecontainertools.github.com/v1alpha1" }, "apiVersion"},
		"kind":                {func(m *manifest) { m.Kind = "Plug" }, "kind"},
		"name":                {func(m *manifest) { m.Metadata.Name = "link-state" }, "metadata.name"},
		"no short":            {func(m *manifest) { m.Spec.ShortDescription = "" }, "shortDescription is empty"},
		"two-line short":      {func(m *manifest) { m.Spec.ShortDescription = "a\nb" }, "line break"},
		"version without v":   {func(m *manifest) { m.Spec.Version = "1.2.3" }, "semantic version"},
		"no platforms":        {func(m *manifest) { m.Spec.Platforms = nil }, "platforms is empty"},
		"bad sha256":          {func(m *manifest) { m.Spec.Platforms[1].Sha256 = strings.ToUpper(sum) }, "platforms[1]: sha256"},
		"no uri":              {func(m *manifest) { m.Spec.Platforms[0].URI = "" }, "uri is empty"},
		"no bin":              {func(m *manifest) { m.Spec.Platforms[0].Bin = "" }, "bin is empty"},
		"empty files":         {func(m *manifest) { m.Spec.Platforms[0].Files = []fileOperation{} }, "files is empty"},
		"file without to":     {func(m *manifest) { m.Spec.Platforms[0].Files[0].To = "" }, "from and to"},
		"no selector":         {func(m *manifest) { m.Spec.Platforms[0].Selector = nil }, "selector is empty"},
		"other selector keys": {func(m *manifest) { m.Spec.Platforms[0].Selector.MatchLabels["distro"] = "x" }, `selector key "distro"`},
	} {
		sums := map[target]string{}
		for _, tg := range targets {
			sums[tg] = sum
		}
		m := newManifest("v1.2.3", sums)
		if err := m.validate(pluginName); err != nil {
			t.Fatalf("the unedited manifest: %v", err)
		}
		tc.edit(m)
		if err := m.validate(pluginName); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", name, err, tc.want)
		}
	}
	if _, err := parseManifest([]byte("apiVersion: x\nkind: Plugin\nspec:\n  shortDescrption: typo\n")); err == nil {
		t.Errorf("a misspelt field was accepted")
	}
}

// The real krew installs the plugin from a manifest and archive built the release's way,
// for this machine's platform; the archive is reproducible.
func TestKrewInstalls(t *testing.T) {
	krew := os.Getenv("KREW")
	if krew == "" {
		t.Fatal("KREW is not set: run `make kubectl-test`, or `export KREW=$(./hack/tools.sh krew)` (it builds krew once)")
	}
	host := target{runtime.GOOS, runtime.GOARCH}
	const version = "v0.0.0-test"
	dist := t.TempDir()
	archive, err := buildArchive("../..", host, version, dist)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := sha256File(archive)
	if err != nil {
		t.Fatal(err)
	}
	again, err := buildArchive("../..", host, version, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if sum2, _ := sha256File(again); sum2 != sum {
		t.Errorf("two builds of the same source gave different archives: %s, %s", sum, sum2)
	}
	data, err := newManifest(version, map[target]string{host: sum}).marshal()
	if err != nil {
		t.Fatal(err)
	}
	manifestPath := filepath.Join(dist, "linkstate.yaml")
	if err := os.WriteFile(manifestPath, data, 0o644); err != nil {
		t.Fatal(err)
	}

	root := t.TempDir()
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = []string{"KREW_ROOT=" + root, "HOME=" + root, "PATH=" + os.Getenv("PATH")}
		cmd.Stdin = bytes.NewReader(nil)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	if out := run(krew, "install", "--manifest="+manifestPath, "--archive="+archive); !strings.Contains(out, "Installed plugin: linkstate") {
		t.Errorf("krew install:\n%s", out)
	}
	if out := run(filepath.Join(root, "bin", host.binName()), "version"); out != version+"\n" {
		t.Errorf("the installed plugin says %q, want %q", out, version)
	}
	if _, err := os.Stat(filepath.Join(root, "store", pluginName, version, "kubectl_complete-linkstate")); err != nil {
		t.Errorf("the completion helper was not installed: %v", err)
	}
	// krew list and uninstall need the plugin index (a git clone of krew-index); the receipt
	// is what they would read.
	if _, err := os.Stat(filepath.Join(root, "receipts", pluginName+".yaml")); err != nil {
		t.Errorf("krew wrote no receipt: %v", err)
	}
}
