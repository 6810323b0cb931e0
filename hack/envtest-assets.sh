#!/usr/bin/env bash
# Builds the control-plane binaries envtest needs (kube-apiserver, etcd, kubectl) from Go
# modules, because no release download site is reachable from our build machines.
# Results are cached in a git-ignored folder keyed by version; a second run is a no-op.
# Prints the asset directory (for KUBEBUILDER_ASSETS) as its last line on stdout.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.34.4}"   # k8s.io/kubernetes v1.34.4, staging modules v0.34.4
ETCD_VERSION="${ETCD_VERSION:-3.6.5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${LINKSTATE_CACHE:-$root/.cache}"
assets="$cache/envtest/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION"
work="$cache/envtest/build"

log() { echo "envtest-assets: $*" >&2; }

mkdir -p "$assets" "$work"
export GOFLAGS="${GOFLAGS:-} -mod=mod"

build_etcd() {
  [ -x "$assets/etcd" ] && return
  log "building etcd v$ETCD_VERSION from go.etcd.io/etcd/server/v3 (minutes on 2 cores: with kube-apiserver ≈ 5 min cold)..."
  local dir="$work/etcd-$ETCD_VERSION"
  rm -rf "$dir" && mkdir -p "$dir"
  cat >"$dir/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$dir" && go mod init envtest/etcd >/dev/null 2>&1 &&
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2 && go mod tidy >&2 &&
    CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$assets/etcd.tmp" . >&2)
  mv "$assets/etcd.tmp" "$assets/etcd"
}

# kube-apiserver and kubectl share one scratch module: k8s.io/kubernetes's go.mod points every
# staging module (k8s.io/api, k8s.io/apiserver, ...) at ./staging, which does not exist in the
# module zip, so each one is replaced by its published v0.X.Y twin.
# The version the binaries report (`/version`, `kubectl version`): Go builds outside
# Kubernetes' own scripts report v0.0.0-master, which tools that check the server version
# (helm's kubeVersion) refuse.
kube_ldflags() {
  local pkg minor="${KUBE_VERSION#1.}"
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.gitVersion=v%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
      "$pkg" "$KUBE_VERSION" "$pkg" "$pkg" "$minor" "$pkg"
  done
  printf -- '-s'
}

# reports_version reports whether the binary at $1 says it is v$KUBE_VERSION (an older cache built
# without version stamping does not, and is rebuilt).
reports_version() {
  [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q "v$KUBE_VERSION\b"
}

build_kube() {
  reports_version "$assets/kube-apiserver" && { [ -x "$assets/kubectl" ] || [ -n "${system_kubectl:-}" ]; } && return
  log "building kube-apiserver v$KUBE_VERSION from k8s.io/kubernetes (several minutes on 2 cores)..."
  local dir="$work/kube-$KUBE_VERSION" staging="0.${KUBE_VERSION#1.}"
  rm -rf "$dir" && mkdir -p "$dir/kube-apiserver" "$dir/kubectl"
  local kmod
  kmod="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  {
    echo "module envtest/kube"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes v$KUBE_VERSION"
    echo
    grep -E '^[[:space:]]*k8s.io/[^ ]+ => ./staging/src/' "$kmod" |
      awk -v v="v$staging" '{print "replace " $1 " => " $1 " " v}'
  } >"$dir/go.mod"
  cat >"$dir/kube-apiserver/main.go" <<'GO'
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() { os.Exit(cli.Run(app.NewAPIServerCommand())) }
GO
  cat >"$dir/kubectl/main.go" <<'GO'
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
GO
  (cd "$dir" && go mod tidy >&2)
  if ! reports_version "$assets/kube-apiserver"; then
    (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags="$(kube_ldflags)" -o "$assets/kube-apiserver.tmp" ./kube-apiserver >&2)
    mv "$assets/kube-apiserver.tmp" "$assets/kube-apiserver"
  fi
  if [ -z "${system_kubectl:-}" ] && [ ! -x "$assets/kubectl" ]; then
    log "building kubectl v$KUBE_VERSION (no kubectl on PATH)..."
    (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags="$(kube_ldflags)" -o "$assets/kubectl.tmp" ./kubectl >&2)
    mv "$assets/kubectl.tmp" "$assets/kubectl"
  fi
}

system_kubectl="$(command -v kubectl || true)"
start=$SECONDS
build_etcd
build_kube
if [ -n "$system_kubectl" ] && [ ! -e "$assets/kubectl" ]; then
  ln -s "$system_kubectl" "$assets/kubectl"
fi
[ $((SECONDS - start)) -gt 1 ] && log "done in $((SECONDS - start)) s"
echo "$assets"
