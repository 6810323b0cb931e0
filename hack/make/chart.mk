# Deployment: the Helm chart (charts/linkstate-webhook) and the kustomize config (config/),
# rendered by the real tools and installed into a real kube-apiserver + etcd with KubeVirt's,
# cert-manager's and the Prometheus Operator's CRDs. helm is built from the Go module proxy
# once (about 2.5 min on 2 cores) and cached in .cache/tools; helm's own caches stay in .cache.
.PHONY: helm chart-test

HELM_HOMES := HELM_CACHE_HOME=$(CACHE)/helm/cache HELM_CONFIG_HOME=$(CACHE)/helm/config HELM_DATA_HOME=$(CACHE)/helm/data

helm: ## build helm into .cache/tools (prints its path)
	./hack/tools.sh helm

chart-test: ## helm lint, render, schema and install tests; config/default applied with kubectl -k
	assets=$$(./hack/envtest-assets.sh) && helm=$$(./hack/tools.sh helm) && \
		HELM=$$helm KUBEBUILDER_ASSETS=$$assets $(HELM_HOMES) $(GO) test -count=1 ./test/chart/

TEST_TARGETS += chart-test
