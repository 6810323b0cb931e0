// Command krew builds the release archives of kubectl-linkstate and writes the krew plugin
// manifest that points at them (plugins/linkstate.yaml):
//
//	make krew-manifest VERSION=v0.2.0   # or: go run ./hack/krew -version v0.2.0
//
// For each platform it cross-compiles the plugin (CGO off, -trimpath, the version stamped),
// packs it with its completion helper into a reproducible .tar.gz under bin/dist (fixed
// timestamps and owners), and records the archive's SHA-256 in the manifest. The archives
// must then be published at the manifest's URIs (the GitHub release of that version).
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// target is one platform krew installs on.
type target struct{ OS, Arch string }

// targets are the platforms the manifest lists.
var targets = []target{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}}

const releases = "https://github.com/linkstate-webhook/linkstate-webhook/releases/download"

func main() {
	version := flag.String("version", "", "release version, v-prefixed semver (required)")
	dist := flag.String("dist", "bin/dist", "directory for the archives")
	out := flag.String("manifest", "plugins/linkstate.yaml", "where to write the krew manifest")
	flag.Parse()
	if *version == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./hack/krew -version vX.Y.Z [-dist bin/dist] [-manifest plugins/linkstate.yaml]")
		os.Exit(2)
	}
	// Checked before minutes of cross-compiling: krew wants a v-prefixed semantic version,
	// and `make krew-manifest` passes git describe's unless VERSION is given.
	if !semverRe.MatchString(*version) {
		fmt.Fprintf(os.Stderr, "krew: version %q is not vX.Y.Z: run make krew-manifest VERSION=vX.Y.Z on a release tag\n", *version)
		os.Exit(2)
	}
	if err := release(*version, *dist, *out); err != nil {
		fmt.Fprintln(os.Stderr, "krew:", err)
		os.Exit(1)
	}
}

func release(version, dist, out string) error {
	sums := map[target]string{}
	for _, t := range targets {
		start := time.Now()
		archive, err := buildArchive(".", t, version, dist)
		if err != nil {
			return err
		}
		if sums[t], err = sha256File(archive); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s (%s)\n", archive, time.Since(start).Round(time.Second))
	}
	m := newManifest(version, sums)
	if err := m.validate(pluginName); err != nil {
		return err
	}
	data, err := m.marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

// binName is the plugin's executable on a platform.
func (t target) binName() string {
	if t.OS == "windows" {
		return "kubectl-linkstate.exe"
	}
	return "kubectl-linkstate"
}

func archiveName(version string, t target) string {
	return fmt.Sprintf("kubectl-linkstate_%s_%s_%s.tar.gz", version, t.OS, t.Arch)
}

// buildArchive cross-compiles the plugin from the repository at root and packs it; it
// returns the archive's path.
func buildArchive(root string, t target, version, dist string) (string, error) {
	tmp, err := os.MkdirTemp("", "krew-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, t.binName())
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -X main.buildVersion="+version, "-o", bin, "./cmd/kubectl-linkstate")
	build.Dir = root
	build.Env = append(os.Environ(), "GOOS="+t.OS, "GOARCH="+t.Arch, "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building for %s/%s: %w\n%s", t.OS, t.Arch, err, out)
	}
	files := []string{bin}
	if t.OS != "windows" { // a POSIX shell script: kubectl on Windows does not run it
		files = append(files, filepath.Join(root, "plugins", "kubectl_complete-linkstate"))
	}
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dist, archiveName(version, t))
	return path, writeTarGz(path, files)
}

// writeTarGz packs files (flat) with fixed metadata, so the same inputs give the same bytes.
func writeTarGz(path string, files []string) error {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf) // no name, no modification time in the header
	tw := tar.NewWriter(gz)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		info, err := os.Stat(f)
		if err != nil {
			return err
		}
		mode := int64(0o644)
		if info.Mode()&0o111 != 0 {
			mode = 0o755
		}
		hdr := &tar.Header{Name: filepath.Base(f), Mode: mode, Size: int64(len(data)), ModTime: time.Unix(0, 0).UTC(),
			Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func sha256File(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// newManifest is the manifest for a version, listing each platform that has an archive
// checksum.
func newManifest(version string, sums map[target]string) *manifest {
	m := &manifest{APIVersion: krewAPIVersion, Kind: "Plugin"}
	m.Metadata.Name = pluginName
	m.Spec = pluginSpec{
		Version:          version,
		Homepage:         "https://github.com/linkstate-webhook/linkstate-webhook",
		ShortDescription: "See and change the link state of KubeVirt VM interfaces",
		Description: strings.TrimSpace(`
Shows, for each interface (vNIC) of a KubeVirt VirtualMachine or VirtualMachineInstance,
the link state its spec asks for next to the one its VMI reports, and changes it: up, down,
or hot-unplugged. Changes are sent as one JSON patch that addresses interfaces by name
safely, in the spelling the cluster uses, and the plugin waits until the VMI reports them.
The check command runs linkstate-webhook's admission rules offline on manifests.`) + "\n",
		Caveats: strings.TrimSpace(`
Needs get/list/watch on virtualmachines and virtualmachineinstances (kubevirt.io) and patch
on virtualmachines in the namespaces you use it in. For shell completion of
"kubectl linkstate ..." (kubectl >= 1.26), link the completion helper next to the plugin:
  ln -s "${KREW_ROOT:-$HOME/.krew}"/store/linkstate/*/kubectl_complete-linkstate "${KREW_ROOT:-$HOME/.krew}/bin/"`) + "\n",
	}
	for _, t := range targets {
		if sums[t] == "" {
			continue
		}
		files := []fileOperation{{From: t.binName(), To: "."}}
		if t.OS != "windows" {
			files = append(files, fileOperation{From: "kubectl_complete-linkstate", To: "."})
		}
		m.Spec.Platforms = append(m.Spec.Platforms, platform{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"os": t.OS, "arch": t.Arch}},
			URI:      releases + "/" + version + "/" + archiveName(version, t),
			Sha256:   sums[t],
			Files:    files,
			Bin:      t.binName(),
		})
	}
	return m
}

func (m *manifest) marshal() ([]byte, error) {
	data, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	header := "# The krew plugin manifest of kubectl-linkstate. Written by `make krew-manifest VERSION=...`\n" +
		"# (hack/krew) from the archives it builds into bin/dist, which the release must publish at\n" +
		"# the URIs below; do not edit by hand. See docs/kubectl-linkstate.md.\n"
	return append([]byte(header), data...), nil
}
