package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the tests build, as `make image` would: through the command line, from this checkout.
const (
	testVersion  = "v9.8.7-imagetest.1"
	testRevision = "0a63bd7c12ab9f1e2d3c4b5a69788796a5b4c3d2"
	testTag      = "ghcr.io/linkstate-webhook/linkstate-webhook:" + testVersion
	testCreated  = "1767323045" // 2026-01-02T03:04:05Z
)

var testCreatedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// built is the result of one `image build`, shared by the tests that inspect it.
type built struct {
	path   string // the tarball
	stdout string
	img    v1.Image // read back from the tarball, by tag
}

var (
	buildOnce   sync.Once
	buildResult built
	buildErr    error
	buildDir    string
)

func TestMain(m *testing.M) {
	var err error
	buildDir, err = os.MkdirTemp("", "linkstate-image-test-")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(buildDir)
	os.Exit(code)
}

// buildInto runs `image build` as `make image` does, writing the tarball into dir, and
// returns its path and what the command printed.
func buildInto(dir string) (path, stdout string, err error) {
	path = filepath.Join(dir, "linkstate-webhook.tar")
	args := []string{"build", "-module", filepath.Join("..", ".."),
		"-version", testVersion, "-revision", testRevision, "-created", testCreated,
		"-tag", testTag, "-o", path}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), args, &out, &errOut); code != 0 {
		return "", "", fmt.Errorf("image %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return path, out.String(), nil
}

// theImage builds the image once for all tests (one go build of the webhook) and reads it
// back from the tarball by its tag, as a loader would.
func theImage(t *testing.T) built {
	t.Helper()
	buildOnce.Do(func() {
		path, stdout, err := buildInto(buildDir)
		if err != nil {
			buildErr = err
			return
		}
		tag, err := name.NewTag(testTag)
		if err != nil {
			buildErr = err
			return
		}
		img, err := tarball.ImageFromPath(path, &tag)
		if err != nil {
			buildErr = err
			return
		}
		buildResult = built{path: path, stdout: stdout, img: img}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildResult
}

func TestImageConfig(t *testing.T) {
	img := theImage(t).img
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := v1.Config{
		User:       "65532:65532",
		Entrypoint: []string{"/webhook"},
		Cmd:        []string{"serve"},
		WorkingDir: "/",
		Labels: map[string]string{
			"org.opencontainers.image.title":    "linkstate-webhook",
			"org.opencontainers.image.version":  testVersion,
			"org.opencontainers.image.revision": testRevision,
			"org.opencontainers.image.source":   "https://github.com/linkstate-webhook/linkstate-webhook",
			"org.opencontainers.image.created":  "2026-01-02T03:04:05Z",
		},
	}
	if diff := cmp.Diff(want, cfg.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cfg.OS, cfg.Architecture, runtime.GOARCH)
	}
	if !cfg.Created.Time.Equal(testCreatedTime) {
		t.Errorf("created %s, want %s (from -created)", cfg.Created.Time, testCreatedTime)
	}
	if len(cfg.RootFS.DiffIDs) != 1 || len(cfg.History) != 1 {
		t.Errorf("%d layers and %d history entries, want 1 and 1", len(cfg.RootFS.DiffIDs), len(cfg.History))
	}

	manifest, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if manifest.MediaType != types.DockerManifestSchema2 || manifest.Config.MediaType != types.DockerConfigJSON ||
		len(manifest.Layers) != 1 || manifest.Layers[0].MediaType != types.DockerLayer {
		t.Errorf("manifest %+v: want Docker schema 2 with one gzip layer", manifest)
	}
}

// layerFile is what the tests compare of a layer entry.
type layerFile struct {
	Name     string
	Type     byte
	Mode     int64
	Uid, Gid int
	Size     int64
	ModTime  time.Time
}

func TestImageFiles(t *testing.T) {
	files, contents := layerFiles(t, theImage(t).img)
	reg, dir := byte(tar.TypeReg), byte(tar.TypeDir)
	at := testCreatedTime
	want := []layerFile{
		{Name: "etc/", Type: dir, Mode: 0o755, ModTime: at},
		{Name: "etc/group", Type: reg, Mode: 0o644, Size: int64(len(contents["etc/group"])), ModTime: at},
		{Name: "etc/passwd", Type: reg, Mode: 0o644, Size: int64(len(contents["etc/passwd"])), ModTime: at},
		{Name: "home/", Type: dir, Mode: 0o755, ModTime: at},
		{Name: "home/nonroot/", Type: dir, Mode: 0o700, Uid: 65532, Gid: 65532, ModTime: at},
		{Name: "tmp/", Type: dir, Mode: 0o1777, ModTime: at},
		{Name: "webhook", Type: reg, Mode: 0o755, Size: int64(len(contents["webhook"])), ModTime: at},
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}
	wantText := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
		"etc/group":  "root:x:0:\nnonroot:x:65532:\n",
	}
	for f, text := range wantText {
		if diff := cmp.Diff(text, string(contents[f])); diff != "" {
			t.Errorf("%s (-want +got):\n%s", f, diff)
		}
	}
}

// TestImageBinary runs the binary taken out of the image: it is a static executable for the
// image's platform and reports the version the image is labelled with.
func TestImageBinary(t *testing.T) {
	img := theImage(t).img
	_, contents := layerFiles(t, img)
	bin := filepath.Join(t.TempDir(), "webhook")
	if err := os.WriteFile(bin, contents["webhook"], 0o755); err != nil {
		t.Fatal(err)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("/webhook is not an ELF executable: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("/webhook asks for a dynamic loader: the image has no libc, it must be static")
		}
	}
	wantMachine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if f.Machine != wantMachine {
		t.Errorf("/webhook is for %s, want %s (%s)", f.Machine, wantMachine, runtime.GOARCH)
	}

	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("/webhook version: %v", err)
	}
	if got, want := string(out), testVersion+"\n"; got != want {
		t.Errorf("/webhook version printed %q, want %q (the stamped version)", got, want)
	}
}

// TestDockerArchive checks the tarball is what docker load, podman load and kind load
// image-archive (containerd's import) read: a manifest.json naming the tag, the config and
// the layer, each present in the archive.
func TestDockerArchive(t *testing.T) {
	path := theImage(t).path
	manifest, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		t.Fatal(err)
	}
	if len(manifest) != 1 {
		t.Fatalf("manifest.json lists %d images, want 1", len(manifest))
	}
	if diff := cmp.Diff([]string{testTag}, manifest[0].RepoTags); diff != "" {
		t.Errorf("RepoTags (-want +got):\n%s", diff)
	}
	names := tarNames(t, path)
	wantNames := append([]string{"manifest.json", manifest[0].Config}, manifest[0].Layers...)
	if diff := cmp.Diff(wantNames, names, sortStrings); diff != "" {
		t.Errorf("archive entries (-want +got):\n%s", diff)
	}
}

func TestBuildPrintsWhatToDoNext(t *testing.T) {
	b := theImage(t)
	digest, err := b.img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	id, err := b.img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		b.path + ": " + testTag + " (linux/" + runtime.GOARCH + ")\n",
		"  manifest digest " + digest.String() + "\n",
		"  image ID        " + id.String() + " (what docker images and podman images show)\n",
		"  kind load image-archive " + b.path + "\n",
		"  docker load -i " + b.path + "\n",
		"  podman load -i " + b.path + "\n",
		"  --set image.repository=ghcr.io/linkstate-webhook/linkstate-webhook --set image.tag=" + testVersion + "\n",
	} {
		if !strings.Contains(b.stdout, line) {
			t.Errorf("output lacks %q:\n%s", line, b.stdout)
		}
	}
}

// TestSameCommitSameImage: building again from the same sources, at another time and into
// another directory, gives the same bytes — the go build is reproducible and nothing in the
// layer or config depends on the clock or the file system.
func TestSameCommitSameImage(t *testing.T) {
	first := theImage(t).path
	time.Sleep(1100 * time.Millisecond) // a second build in the same second would not tell
	second, _, err := buildInto(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fileSHA256(t, first), fileSHA256(t, second); a != b {
		t.Errorf("two builds of the same sources differ: %x and %x", a, b)
	}
}

// TestImageDigestInputs: the digest follows the inputs that should change it, and only those.
// On the first 64 KiB of the real binary: the property does not depend on its size, and
// compressing all 43 MiB seven times would take 15 s.
func TestImageDigestInputs(t *testing.T) {
	_, contents := layerFiles(t, theImage(t).img)
	base := spec{binary: contents["webhook"][:64<<10], version: testVersion, revision: testRevision,
		created: testCreatedTime, arch: runtime.GOARCH}
	baseDigest := digestOf(t, base)

	same := base
	same.created = testCreatedTime.Add(400 * time.Millisecond) // kept to the second
	if got := digestOf(t, same); got != baseDigest {
		t.Errorf("a sub-second difference in the creation time changed the digest")
	}

	changes := map[string]func(*spec){
		"another creation time": func(s *spec) { s.created = s.created.Add(time.Hour) },
		"another version":       func(s *spec) { s.version = "v9.8.8" },
		"another revision":      func(s *spec) { s.revision = "1" + testRevision[1:] },
		"another architecture":  func(s *spec) { s.arch = "arm64" },
		"another binary":        func(s *spec) { s.binary = append(bytes.Clone(s.binary), 0) },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			s := base
			change(&s)
			if digestOf(t, s) == baseDigest {
				t.Errorf("%s gave the same digest", name)
			}
		})
	}
}

func TestAssembleRefusesIncompleteSpecs(t *testing.T) {
	complete := spec{binary: []byte("\x7fELF"), version: "v1", arch: "amd64"}
	tests := map[string]struct {
		change func(*spec)
		want   string
	}{
		"no binary":       {func(s *spec) { s.binary = nil }, "no binary"},
		"no version":      {func(s *spec) { s.version = "" }, "no version: the image's label and tag need one"},
		"no architecture": {func(s *spec) { s.arch = "" }, "no architecture"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := complete
			tc.change(&s)
			_, err := assemble(s)
			if err == nil || err.Error() != tc.want {
				t.Errorf("assemble: error %v, want %q", err, tc.want)
			}
		})
	}
}

func digestOf(t *testing.T, s spec) v1.Hash {
	t.Helper()
	img, err := assemble(s)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// layerFiles lists the entries of the image's only layer and returns the regular files'
// contents.
func layerFiles(t *testing.T, img v1.Image) ([]layerFile, map[string][]byte) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var files []layerFile
	contents := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, layerFile{Name: hdr.Name, Type: hdr.Typeflag, Mode: hdr.Mode,
			Uid: hdr.Uid, Gid: hdr.Gid, Size: hdr.Size, ModTime: hdr.ModTime.UTC()})
		if hdr.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			contents[hdr.Name] = b
		}
	}
	return files, contents
}

func tarNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
	}
}

func fileSHA256(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })
