package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCommandLineErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.tar")
	build := func(extra ...string) []string {
		args := map[string]string{"-version": "v1", "-tag": "example.com/a/b:v1", "-o": out, "-module": filepath.Join("..", "..")}
		for i := 0; i+1 < len(extra); i += 2 {
			args[extra[i]] = extra[i+1]
		}
		cmd := []string{"build"}
		for k, v := range args {
			if v != "" {
				cmd = append(cmd, k, v)
			}
		}
		return cmd
	}
	tests := map[string]struct {
		args     []string
		wantCode int
		// wantStderr is the first line of stderr, or all of it for exit status 1.
		wantStderr string
	}{
		"no command": {
			args: nil, wantCode: 2, wantStderr: "Usage:\n",
		},
		"unknown command": {
			args: []string{"load"}, wantCode: 2, wantStderr: "unknown command \"load\"\n",
		},
		"build without -version": {
			args: build("-version", ""), wantCode: 2,
			wantStderr: "usage: image build needs -version, -tag and -o, and no arguments\n",
		},
		"build without -o": {
			args: build("-o", ""), wantCode: 2,
			wantStderr: "usage: image build needs -version, -tag and -o, and no arguments\n",
		},
		"build with an unknown flag": {
			args: append(build(), "-platform", "linux/arm64"), wantCode: 2,
			wantStderr: "flag provided but not defined: -platform\n",
		},
		"build with a tag that is no image name": {
			args: build("-tag", "example.com/Team/b:v1"), wantCode: 1,
			wantStderr: "image: -tag \"example.com/Team/b:v1\": want registry/repository:tag: repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: Team/b\n",
		},
		"build with a version the linker flags would split": {
			args: build("-version", "v1 beta"), wantCode: 1,
			wantStderr: "image: version \"v1 beta\": use letters, digits and . _ + - only (a tag, git describe's output)\n",
		},
		"build for an architecture spelled as no GOARCH is": {
			args: build("-arch", "linux/arm64"), wantCode: 1,
			wantStderr: "image: architecture \"linux/arm64\": use a GOARCH such as amd64 or arm64\n",
		},
		"build with a creation time that is no number": {
			args: build("-created", "yesterday"), wantCode: 1,
			wantStderr: "image: -created (or SOURCE_DATE_EPOCH) \"yesterday\": want Unix seconds: strconv.ParseInt: parsing \"yesterday\": invalid syntax\n",
		},
		"push without a tarball": {
			args: []string{"push", "example.com/a/b:v1"}, wantCode: 2,
			wantStderr: "usage: image push needs -tarball and one REGISTRY/REPOSITORY:TAG\n",
		},
		"push of a tarball that is not there": {
			args: []string{"push", "-tarball", out, "example.com/a/b:v1"}, wantCode: 1,
			wantStderr: "image: reading " + out + ": open " + out + ": no such file or directory\n",
		},
		"push to a reference with a digest instead of a tag": {
			args: []string{"push", "-tarball", out, "example.com/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000"}, wantCode: 1,
			wantStderr: "image: IMAGE \"example.com/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000\": want registry/repository:tag; a digest names an image already pushed\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantCode, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			got := stderr.String()
			if tc.wantCode == 2 {
				got = firstLine(got)
			}
			if diff := cmp.Diff(tc.wantStderr, got); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildOutsideTheModule: a -module that holds no linkstate-webhook fails with go build's
// own words, and writes nothing.
func TestBuildOutsideTheModule(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.tar")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"build", "-module", dir, "-version", "v1",
		"-tag", "example.com/a/b:v1", "-o", out}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	want := "image: go build (GOOS=linux GOARCH="
	if !strings.HasPrefix(stderr.String(), want) || !strings.Contains(stderr.String(), "go.mod file not found") {
		t.Errorf("stderr = %q, want it to start with %q and quote go build", stderr.String(), want)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*")); len(matches) != 0 {
		t.Errorf("a failed build left %v", matches)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i+1]
	}
	return s
}
