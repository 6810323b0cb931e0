// Command image builds linkstate-webhook's container image without a container engine, and
// pushes it: `make image` and `make push` call it. It is a build tool, not part of the
// product, and lives in its own module so go-containerregistry's dependencies never reach
// the webhook's go.mod. See docs/image.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const usage = `Usage:
  image build -version V -tag REGISTRY/REPOSITORY:TAG -o FILE.tar [-revision SHA] [-created UNIX] [-arch GOARCH] [-module DIR]
      build ./cmd/webhook of the module in DIR for linux/GOARCH and write the image as a
      tarball that docker load, podman load and kind load image-archive accept
  image push -tarball FILE.tar REGISTRY/REPOSITORY:TAG
      push the image in FILE.tar with docker's or podman's stored credentials
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks errors in the command line (exit status 2).
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) == 0:
		err = errUsage
	case args[0] == "build":
		err = runBuild(ctx, args[1:], stdout, stderr)
	case args[0] == "push":
		err = runPush(ctx, args[1:], stdout, stderr)
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n", args[0])
		err = errUsage
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		if err != errUsage {
			fmt.Fprintln(stderr, err)
		}
		fmt.Fprint(stderr, usage)
		return 2
	default:
		fmt.Fprintln(stderr, "image:", err)
		return 1
	}
}

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("image build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "", "the version the binary reports and the image is labelled with (required)")
	tagRef := fs.String("tag", "", "the image's name in the tarball, registry/repository:tag (required)")
	out := fs.String("o", "", "the tarball to write (required)")
	revision := fs.String("revision", "", "the commit, for the org.opencontainers.image.revision label")
	created := fs.String("created", os.Getenv("SOURCE_DATE_EPOCH"), "creation time and file times, Unix seconds (default $SOURCE_DATE_EPOCH, else 0)")
	arch := fs.String("arch", runtime.GOARCH, "GOARCH of the image")
	module := fs.String("module", ".", "the directory of linkstate-webhook's go.mod")
	goCmd := fs.String("go", "go", "the go command")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() != 0 || *version == "" || *tagRef == "" || *out == "" {
		return fmt.Errorf("%w: image build needs -version, -tag and -o, and no arguments", errUsage)
	}
	tag, err := name.NewTag(*tagRef)
	if err != nil {
		return fmt.Errorf("-tag %q: want registry/repository:tag: %w", *tagRef, err)
	}
	createdAt, err := unixTime(*created)
	if err != nil {
		return fmt.Errorf("-created (or SOURCE_DATE_EPOCH) %q: want Unix seconds: %w", *created, err)
	}

	start := time.Now()
	binary, err := buildBinary(ctx, *goCmd, *module, *arch, *version)
	if err != nil {
		return err
	}
	compiled := time.Since(start)
	img, err := assemble(spec{binary: binary, version: *version, revision: *revision,
		created: createdAt, arch: *arch})
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(*out, tag, img); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	id, err := img.ConfigName()
	if err != nil {
		return err
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s (linux/%s)\n", *out, tag, *arch)
	fmt.Fprintf(stdout, "  manifest digest %s\n", digest)
	fmt.Fprintf(stdout, "  image ID        %s (what docker images and podman images show)\n", id)
	fmt.Fprintf(stdout, "  binary %s, tarball %s; built in %s (go build %s)\n\n",
		mebibytes(int64(len(binary))), mebibytes(fi.Size()),
		time.Since(start).Round(100*time.Millisecond), compiled.Round(100*time.Millisecond))
	fmt.Fprintf(stdout, "Load it where the cluster's nodes find it:\n")
	for _, load := range []string{"kind load image-archive", "docker load -i", "podman load -i"} {
		fmt.Fprintf(stdout, "  %s %s\n", load, *out)
	}
	fmt.Fprintf(stdout, "then install with\n  --set image.repository=%s --set image.tag=%s\n", tag.Context(), tag.TagStr())
	return nil
}

func runPush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("image push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tarballPath := fs.String("tarball", "", "the tarball `image build` wrote (required)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() != 1 || *tarballPath == "" {
		return fmt.Errorf("%w: image push needs -tarball and one REGISTRY/REPOSITORY:TAG", errUsage)
	}
	ref := fs.Arg(0)
	digest, err := push(ctx, *tarballPath, ref, authn.DefaultKeychain)
	if err != nil {
		return err
	}
	tag, _ := name.NewTag(ref) // push parsed it already
	fmt.Fprintf(stdout, "pushed %s\n  %s@%s\n", tag, tag.Context(), digest)
	fmt.Fprintf(stdout, "install with\n  --set image.repository=%s --set image.tag=%s\n", tag.Context(), tag.TagStr())
	fmt.Fprintf(stdout, "or, pinned:\n  --set image.repository=%s --set image.digest=%s\n", tag.Context(), digest)
	return nil
}

// unixTime parses Unix seconds (SOURCE_DATE_EPOCH, reproducible-builds.org); "" is 0.
func unixTime(s string) (time.Time, error) {
	if s == "" {
		return time.Unix(0, 0), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	if sec < 0 {
		return time.Time{}, errors.New("before 1970")
	}
	return time.Unix(sec, 0), nil
}

func mebibytes(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
