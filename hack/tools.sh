#!/usr/bin/env bash
# Builds or fetches the deployment tools the chart tests need, from the Go module proxy (no
# release download site is reachable from our build machines), into the git-ignored
# .cache/tools, keyed by version so a version bump never reuses a stale binary. A second
# run is a no-op. Progress goes to stderr; the requested path is the last line on stdout.
#
#   hack/tools.sh helm                       path of the helm binary
#   hack/tools.sh controller-gen             path of controller-gen (make generate: the LinkStatePolicy CRD)
#   hack/tools.sh cert-manager-crds          directory of cert-manager's CRD manifests
#   hack/tools.sh prometheus-operator-crds   directory of the Prometheus Operator's CRD manifests
#   hack/tools.sh krew                       path of the krew binary (kubectl-linkstate's manifest test)
#   hack/tools.sh gator                      path of Gatekeeper's gator (make check-bench compares check with it)
#
# None of them is a requirement in go.mod: helm and controller-gen pin their own Kubernetes libraries, and
# cert-manager needs a newer Kubernetes line than this project builds on. The CRD modules
# are only downloaded (their zips hold plain YAML), never compiled.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.19.5}"   # built on client-go v0.34, like the envtest API server
CONTROLLER_TOOLS_VERSION="${CONTROLLER_TOOLS_VERSION:-v0.19.0}"   # generates for Kubernetes v0.34 APIs
CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.21.2}"
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
KREW_VERSION="${KREW_VERSION:-v0.4.3}"
GATOR_VERSION="${GATOR_VERSION:-v3.23.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${LINKSTATE_CACHE:-$root/.cache}/tools"

log() { echo "tools: $*" >&2; }

# install_from_module MODULE_PATH VERSION NAME: `go install` into a temporary directory, then
# a rename, so an interrupted build never leaves a binary that looks complete.
install_from_module() {
  local pkg="$1" version="$2" name="$3" ldflags="${4:-}"
  local dir="$cache/$name-$version"
  if [ -x "$dir/$name" ]; then
    echo "$dir/$name"
    return
  fi
  log "building $name $version from $pkg (a few minutes on 2 cores; cached in $dir afterwards)..."
  local start=$SECONDS tmp="$dir.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  # Outside any module: `go install pkg@version` builds with the tool's own go.mod.
  (cd "$tmp" && GOFLAGS=-buildvcs=false GOBIN="$tmp" CGO_ENABLED=0 \
    go install -trimpath -ldflags="-s -w $ldflags" "$pkg@$version" >&2)
  rm -rf "$dir" && mv "$tmp" "$dir"
  log "$name $version built in $((SECONDS - start)) s"
  echo "$dir/$name"
}

# module_file MODULE@VERSION PATH: the path of a file or directory inside a module's source,
# downloaded through the module proxy into the module cache.
module_file() {
  local dir
  dir="$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  [ -e "$dir/$2" ] || { log "no $2 in $1 (${dir:-download failed})"; exit 1; }
  echo "$dir/$2"
}

case "${1:-}" in
helm)
  # The same -X flags as helm's release Makefile: without them `helm template` assumes
  # Kubernetes v1.20 (failing charts that require newer) and lint checks deprecations
  # against 1.20. Releases stamp the version of the client-go helm is built with.
  client_go="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p' |
    xargs sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p')"
  [ -n "$client_go" ] || { log "cannot read k8s.io/client-go's version from helm $HELM_VERSION's go.mod"; exit 1; }
  k8s="-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$client_go"
  k8s="$k8s -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$client_go"
  install_from_module helm.sh/helm/v3/cmd/helm "$HELM_VERSION" helm \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION $k8s"
  ;;
controller-gen)
  install_from_module sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_TOOLS_VERSION" controller-gen
  ;;
cert-manager-crds)
  module_file "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" deploy/crds
  ;;
prometheus-operator-crds)
  module_file "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" example/prometheus-operator-crd
  ;;
krew)
  install_from_module sigs.k8s.io/krew/cmd/krew "$KREW_VERSION" krew
  ;;
gator)
  # Gatekeeper's offline policy tester: about 5 minutes and 1.4 GB of memory to build.
  install_from_module github.com/open-policy-agent/gatekeeper/v3/cmd/gator "$GATOR_VERSION" gator
  ;;
*)
  echo "usage: $0 helm|controller-gen|cert-manager-crds|prometheus-operator-crds|krew|gator" >&2
  exit 2
  ;;
esac
