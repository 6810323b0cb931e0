package main

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// push uploads the image in the tarball `make image` wrote to ref (registry/repository:tag),
// with the credentials docker login or podman login stored (authn.DefaultKeychain reads
// both), and returns the manifest digest the registry now serves. The bytes pushed are the
// tarball's, so the digest is the one `make image` printed.
func push(ctx context.Context, tarballPath, ref string, keychain authn.Keychain) (v1.Hash, error) {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("IMAGE %q: want registry/repository:tag: %w", ref, err)
	}
	tag, ok := parsed.(name.Tag)
	if !ok {
		return v1.Hash{}, fmt.Errorf("IMAGE %q: want registry/repository:tag; a digest names an image already pushed", ref)
	}
	img, err := tarball.ImageFromPath(tarballPath, nil)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("reading %s: %w", tarballPath, err)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain)); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing to %s: %w", tag, err)
	}
	return img.Digest()
}
