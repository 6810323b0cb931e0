# The demo: the real webhook on a local kube-apiserver + etcd, fed the manifests in examples/.
# demo-test (in `make test`) plays the same examples as a Go test, so examples/, the README's
# command and the webhook's messages cannot drift apart.
.PHONY: demo demo-test

DEMO_ARGS ?=

# The demo is built, then run directly rather than through `go run`: after Ctrl-C, `go run`
# exits 1 whatever its program does, and the demo's exit status is part of its contract.
demo: ## run the webhook on a local API server and play examples/ (DEMO_ARGS=--once: exit after them)
	@echo "demo: finding kube-apiserver and etcd (the first run builds them from Go modules: several minutes on 2 cores)"
	@assets=$$(./hack/envtest-assets.sh) && $(GO) build -o $(BIN)/demo ./hack/demo && \
		KUBEBUILDER_ASSETS=$$assets $(BIN)/demo $(DEMO_ARGS)

demo-test: ## check that every example in examples/ behaves as the demo expects (own API server, ~15 s)
	assets=$$(./hack/envtest-assets.sh) && KUBEBUILDER_ASSETS=$$assets $(GO) test -count=1 ./hack/demo/

TEST_TARGETS += demo-test
