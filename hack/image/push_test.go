package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const (
	registryUser     = "robot"
	registryPassword = "s3cret"
)

// TestPush pushes the built tarball to a real registry implementation (go-containerregistry's,
// in this process) that demands a login, with the credentials where docker login and podman
// login leave them, and pulls it back.
func TestPush(t *testing.T) {
	b := theImage(t)
	wantDigest, err := b.img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	wantConfig, err := b.img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}

	tests := map[string]struct {
		login      func(t *testing.T, host string) // stores the credentials
		wantCode   int
		wantStderr string // a part of it
	}{
		"docker login: $DOCKER_CONFIG/config.json": {
			login: func(t *testing.T, host string) {
				dir := t.TempDir()
				writeAuthFile(t, filepath.Join(dir, "config.json"), host)
				t.Setenv("DOCKER_CONFIG", dir)
			},
		},
		"podman login: $REGISTRY_AUTH_FILE": {
			login: func(t *testing.T, host string) {
				file := filepath.Join(t.TempDir(), "auth.json")
				writeAuthFile(t, file, host)
				t.Setenv("REGISTRY_AUTH_FILE", file)
			},
		},
		"no login: refused, and said so": {
			login:      func(*testing.T, string) {},
			wantCode:   1,
			wantStderr: "401 Unauthorized",
		},
	}
	for testName, tc := range tests {
		t.Run(testName, func(t *testing.T) {
			isolateCredentials(t)
			host := startRegistry(t)
			tc.login(t, host)
			ref := host + "/team/linkstate-webhook:" + testVersion

			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"push", "-tarball", b.path, ref}, &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("image push: exit %d, want %d\n%s", code, tc.wantCode, stderr.String())
			}
			if tc.wantCode != 0 {
				if !strings.Contains(stderr.String(), tc.wantStderr) {
					t.Errorf("stderr lacks %q:\n%s", tc.wantStderr, stderr.String())
				}
				return
			}

			wantStdout := "pushed " + ref + "\n" +
				"  " + host + "/team/linkstate-webhook@" + wantDigest.String() + "\n" +
				"install with\n" +
				"  --set image.repository=" + host + "/team/linkstate-webhook --set image.tag=" + testVersion + "\n" +
				"or, pinned:\n" +
				"  --set image.repository=" + host + "/team/linkstate-webhook --set image.digest=" + wantDigest.String() + "\n"
			if diff := cmp.Diff(wantStdout, stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}

			tag, err := name.NewTag(ref)
			if err != nil {
				t.Fatal(err)
			}
			pulled, err := remote.Image(tag, remote.WithAuth(&authn.Basic{Username: registryUser, Password: registryPassword}))
			if err != nil {
				t.Fatalf("pulling %s back: %v", ref, err)
			}
			gotDigest, err := pulled.Digest()
			if err != nil {
				t.Fatal(err)
			}
			if gotDigest != wantDigest {
				t.Errorf("the registry serves %s, want %s (the tarball's)", gotDigest, wantDigest)
			}
			gotConfig, err := pulled.RawConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotConfig, wantConfig) {
				t.Errorf("the registry's config differs from the tarball's:\n%s\n%s", gotConfig, wantConfig)
			}
		})
	}
}

// startRegistry serves an in-memory registry on loopback (plain HTTP, as go-containerregistry
// allows for 127.0.0.1) that answers only requests logged in as registryUser.
func startRegistry(t *testing.T) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, password, ok := r.BasicAuth(); !ok || user != registryUser || password != registryPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="test registry"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"log in first"}]}`))
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// isolateCredentials hides the user's own docker and podman credentials from the test.
func isolateCredentials(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"} {
		t.Setenv(v, "")
	}
}

// writeAuthFile writes credentials for host in the format docker login and podman login
// share.
func writeAuthFile(t *testing.T, path, host string) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(registryUser + ":" + registryPassword))
	if err := os.WriteFile(path, []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
}
