# kubectl-linkstate, the VM owner's kubectl plugin (cmd/kubectl-linkstate; docs/kubectl-linkstate.md).
# kubectl-test runs the plugin binary against a real kube-apiserver + etcd and the real
# webhook, and installs it with the real krew (built once from the Go module proxy).
.PHONY: kubectl-linkstate kubectl-test krew-manifest

kubectl-linkstate: ## build bin/kubectl-linkstate, stamped with VERSION (git describe), and its completion helper
	$(GO) build -ldflags "$(if $(VERSION),-X main.buildVersion=$(VERSION))" -o $(BIN)/kubectl-linkstate ./cmd/kubectl-linkstate
	install -m 0755 plugins/kubectl_complete-linkstate $(BIN)/kubectl_complete-linkstate

kubectl-test: ## the plugin against a real API server and webhook (test/kubectl); its krew manifest installed by krew
	assets=$$(./hack/envtest-assets.sh) && krew=$$(./hack/tools.sh krew) && \
		KUBEBUILDER_ASSETS=$$assets KREW=$$krew $(GO) test -count=1 ./test/kubectl/ ./hack/krew/

# Release step: cross-builds the plugin for every platform into bin/dist and rewrites
# plugins/linkstate.yaml with the archives' checksums. Publish bin/dist/*.tar.gz at the
# manifest's URIs (the GitHub release VERSION), then submit the manifest to krew-index.
krew-manifest: ## release archives into bin/dist and plugins/linkstate.yaml (VERSION: a vX.Y.Z tag)
	$(GO) run ./hack/krew -version $(VERSION) -dist $(BIN)/dist -manifest plugins/linkstate.yaml

TEST_TARGETS += kubectl-test
