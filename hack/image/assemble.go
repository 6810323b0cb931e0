package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// source is where the image says it comes from (org.opencontainers.image.source).
const source = "https://github.com/linkstate-webhook/linkstate-webhook"

// spec is everything the image is made of. The same spec always gives the same image digest.
type spec struct {
	binary   []byte    // the static linux binary, already stamped with version
	version  string    // what the binary's `version` prints; label and history
	revision string    // the commit it was built from; "" when not known
	created  time.Time // the image's creation time and every file's mtime: the commit's time
	arch     string    // GOARCH of the binary
}

// assemble builds the image: one layer on nothing (see rootfs), run as the nonroot user.
// The entry point and default arguments are those the chart and config/manager use
// (command /webhook, args serve …), so `docker run IMAGE` serves too.
func assemble(s spec) (v1.Image, error) {
	if len(s.binary) == 0 {
		return nil, errors.New("no binary")
	}
	if s.version == "" {
		return nil, errors.New("no version: the image's label and tag need one")
	}
	if s.arch == "" {
		return nil, errors.New("no architecture")
	}
	// Second precision: what tar headers and the config's RFC 3339 time keep.
	created := s.created.UTC().Truncate(time.Second)
	layer, err := rootfsLayer(s.binary, created)
	if err != nil {
		return nil, fmt.Errorf("building the layer: %w", err)
	}
	labels := map[string]string{
		"org.opencontainers.image.title":   "linkstate-webhook",
		"org.opencontainers.image.version": s.version,
		"org.opencontainers.image.source":  source,
		"org.opencontainers.image.created": created.Format(time.RFC3339),
	}
	if s.revision != "" {
		labels["org.opencontainers.image.revision"] = s.revision
	}
	cfg := &v1.ConfigFile{
		Architecture: s.arch,
		OS:           "linux",
		Created:      v1.Time{Time: created},
		Config: v1.Config{
			User:       strconv.Itoa(nonrootUID) + ":" + strconv.Itoa(nonrootUID),
			Entrypoint: []string{"/" + binaryPath},
			Cmd:        []string{"serve"},
			WorkingDir: "/",
			Labels:     labels,
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	// Docker's schema 2 media types (empty.Image's): what a docker-load tarball can hold, so
	// the image read back from the tarball — and pushed — has the digest printed here.
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "make image: linkstate-webhook " + s.version + " (hack/image)",
			Comment:   "static binary /" + binaryPath + ", /etc/passwd and /etc/group with the nonroot user, /tmp",
		},
	})
}
