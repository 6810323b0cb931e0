package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDescribeVersion(t *testing.T) {
	const rev = "0a63bd7c12ab9f1e2d3c4b5a69788796a5b4c3d2"
	vcs := func(revision, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: revision},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	tests := map[string]struct {
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		"the stamped version wins over everything Go recorded": {
			stamped: "v0.2.0-3-g0a63bd7-dirty",
			info:    &debug.BuildInfo{Main: debug.Module{Version: "v0.1.0"}, Settings: vcs(rev, "true")},
			want:    "v0.2.0-3-g0a63bd7-dirty",
		},
		"no build information at all": {
			want: "(devel)",
		},
		"go install …@v0.1.0: the module version": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "v0.1.0"}},
			want: "v0.1.0",
		},
		"a checkout Go could version: its pseudo-version, dirty flag included": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260102030405-0a63bd7c12ab+dirty"}, Settings: vcs(rev, "true")},
			want: "v0.0.0-20260102030405-0a63bd7c12ab+dirty",
		},
		"a clean checkout Go could not version: the commit": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")},
			want: "0a63bd7c12ab",
		},
		"a modified checkout Go could not version: the commit, -dirty": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")},
			want: "0a63bd7c12ab-dirty",
		},
		"a short revision is kept whole": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0a63bd7", "false")},
			want: "0a63bd7",
		},
		"built without VCS information (-buildvcs=false)": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "-trimpath", Value: "true"}}},
			want: "(devel)",
		},
		"an empty module version": {
			info: &debug.BuildInfo{},
			want: "(devel)",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, describeVersion(tc.stamped, tc.info)); diff != "" {
				t.Errorf("describeVersion (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVersionOfCheckoutBuilds builds the real binary with -buildvcs=true in two throw-away
// git repositories holding this module's sources, and runs `webhook version`. (The test
// cannot use the checkout it runs in: that may be a git worktree, which Go does not stamp,
// and whether it is modified is not the test's to decide.) The ldflags path is tested where
// `make image` stamps the binary: hack/image.
func TestVersionOfCheckoutBuilds(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("this test needs git: %v", err)
	}
	moduleRoot, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("module at the repository root, tagged, then modified: the tag +dirty", func(t *testing.T) {
		repo := t.TempDir()
		copyModule(t, moduleRoot, repo)
		git(t, repo, "init", "-q")
		git(t, repo, "add", ".")
		git(t, repo, "commit", "-q", "-m", "one commit")
		git(t, repo, "tag", "v0.1.0")
		// Go counts untracked files as modifications (git status --porcelain).
		if err := os.WriteFile(filepath.Join(repo, "NOTES"), []byte("not committed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, want := buildVCSAndRunVersion(t, repo), "v0.1.0+dirty"; got != want {
			t.Errorf("webhook version = %q, want %q", got, want)
		}
	})

	t.Run("module in a subdirectory, clean: the commit", func(t *testing.T) {
		repo := t.TempDir()
		module := filepath.Join(repo, "linkstate-webhook")
		copyModule(t, moduleRoot, module)
		git(t, repo, "init", "-q")
		git(t, repo, "add", ".")
		git(t, repo, "commit", "-q", "-m", "one commit")
		revision := git(t, repo, "rev-parse", "HEAD")
		if got, want := buildVCSAndRunVersion(t, module), revision[:12]; got != want {
			t.Errorf("webhook version = %q, want %q (the commit)", got, want)
		}
	})
}

// buildVCSAndRunVersion builds ./cmd/webhook in module with VCS stamping forced on (this
// machine's GOFLAGS may turn it off) and returns what `webhook version` prints. -trimpath
// and CGO_ENABLED=0, as in `make image`, let the build reuse compiled packages from the
// cache although the sources sit in a new directory.
func buildVCSAndRunVersion(t *testing.T, module string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "webhook")
	build := exec.Command("go", "build", "-buildvcs=true", "-trimpath", "-o", bin, "./cmd/webhook")
	build.Dir = module
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("webhook version: %v", err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// copyModule copies what building ./cmd/webhook reads: go.mod, go.sum and the Go packages.
func copyModule(t *testing.T, from, to string) {
	t.Helper()
	for _, f := range []string{"go.mod", "go.sum"} {
		copyFile(t, filepath.Join(from, f), filepath.Join(to, f))
	}
	for _, dir := range []string{"api", "cmd", "pkg", "internal"} {
		err := filepath.WalkDir(filepath.Join(from, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			rel, err := filepath.Rel(from, path)
			if err != nil {
				return err
			}
			copyFile(t, path, filepath.Join(to, rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// git runs git in dir, isolated from the user's and the system's git configuration, and
// returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
