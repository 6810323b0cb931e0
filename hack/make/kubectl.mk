# kubectl-linkstate, the VM owner's kubectl plugin (cmd/kubectl-linkstate; docs/kubectl-linkstate.md).
# kubectl-test runs the plugin binary against a real kube-apiserver + etcd and the real
# webhook, and installs it with the real krew (built once from the Go module proxy).
.PHONY: kubectl-linkstate kubectl-test krew-manifest

# The version stamped into the plugin: the nearest tag, or the commit.
KUBECTL_LINKSTATE_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)

kubectl-linkstate: ## build bin/kubectl-linkstate (version-stamped) and its completion helper
	$(GO) build -ldflags "-X main.buildVersion=$(KUBECTL_LINKSTATE_VERSION)" -o $(BIN)/kubectl-linkstate ./cmd/kubectl-linkstate
	install -m 0755 plugins/kubectl_complete-linkstate $(BIN)/kubectl_complete-linkstate

kubectl-test: ## the plugin against a real API server and webhook (test/kubectl); its krew manifest installed by krew
	assets=$$(./hack/envtest-assets.sh) && krew=$$(./hack/tools.sh krew) && \
		KUBEBUILDER_ASSETS=$$assets KREW=$$krew $(GO) test -count=1 ./test/kubectl/ ./hack/krew/

# Release step: cross-builds the plugin for every platform into bin/dist and rewrites
# plugins/linkstate.yaml with the archives' checksums. Publish bin/dist/*.tar.gz at the
# manifest's URIs (the GitHub release VERSION), then submit the manifest to krew-index.
krew-manifest: ## release archives into bin/dist and plugins/linkstate.yaml (VERSION=vX.Y.Z required)
	@[ -n "$(VERSION)" ] || { echo "krew-manifest: set VERSION=vX.Y.Z"; exit 2; }
	$(GO) run ./hack/krew -version $(VERSION) -dist $(BIN)/dist -manifest plugins/linkstate.yaml

TEST_TARGETS += kubectl-test
