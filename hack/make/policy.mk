# LinkStatePolicy (docs/policy.md): the CRD and deepcopy functions generated from api/ by
# controller-gen (built from the Go module proxy into .cache/tools, never a go.mod
# requirement), copied into the chart; and the policy stories on a real API server with
# the real binary and kubectl as a tenant.
.PHONY: generate policy-test policy-bench

CRD_FILE := linkstate.kubevirt.io_linkstatepolicies.yaml

generate: ## regenerate api/'s deepcopy functions and the LinkStatePolicy CRD (config/crd, chart) with controller-gen
	cg=$$(./hack/tools.sh controller-gen) && \
		$$cg object paths=./api/... && \
		$$cg crd:crdVersions=v1 paths=./api/... output:crd:artifacts:config=config/crd/bases
	cp config/crd/bases/$(CRD_FILE) charts/linkstate-webhook/files/$(CRD_FILE)

policy-test: ## generated files current (drift check); policy stories, check = webhook, schema rejections on a real API server
	cg=$$(./hack/tools.sh controller-gen) && CONTROLLER_GEN=$$cg $(GO) test -count=1 ./api/...
	assets=$$(./hack/envtest-assets.sh) && KUBEBUILDER_ASSETS=$$assets $(GO) test -count=1 ./test/policy/

TEST_TARGETS += policy-test

policy-bench: ## the validating handler with 0, 1 and 100 LinkStatePolicies against none (goal: 100 <= 1.2x), median ratio
	$(MAKE) bench BENCH_PATTERN=BenchmarkPolicies BENCH_GOAL=1.2
	$(GO) test -run '^$$' -bench BenchmarkEvaluate -benchmem -count $(BENCH_COUNT) ./pkg/policy/
