package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
)

// versionPattern is what a version may contain: git describe's output (v0.1.0-3-g0a63bd7-dirty),
// semver with build metadata, a commit. Nothing the linker's flag parsing would split.
var versionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// goarchPattern accepts GOARCH spellings only; the go command says which it supports.
var goarchPattern = regexp.MustCompile(`^[a-z0-9]+$`)

// buildBinary compiles ./cmd/webhook of the module in moduleDir for linux/arch as a static
// binary (CGO_ENABLED=0: the image has no libc) and returns it. Stamped with version;
// -trimpath and no VCS stamping, so the same sources and Go toolchain give the same bytes
// on any machine, in any directory. -s -w drop the symbol table and DWARF: stack traces keep
// function names and lines, and the binary is a third smaller.
func buildBinary(ctx context.Context, goCmd, moduleDir, arch, version string) ([]byte, error) {
	if !versionPattern.MatchString(version) {
		return nil, fmt.Errorf("version %q: use letters, digits and . _ + - only (a tag, git describe's output)", version)
	}
	if !goarchPattern.MatchString(arch) {
		return nil, fmt.Errorf("architecture %q: use a GOARCH such as amd64 or arm64", arch)
	}
	out, err := os.MkdirTemp("", "linkstate-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	bin := filepath.Join(out, "webhook")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -X main.buildVersion="+version, "-o", bin, "./cmd/webhook")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build (GOOS=linux GOARCH=%s, in %s): %w\n%s", arch, moduleDir, err, msg)
	}
	return os.ReadFile(bin)
}
