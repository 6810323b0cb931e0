# The real API server: kube-apiserver and etcd built from Go modules, KubeVirt's CRDs.
.PHONY: envtest-assets envtest

envtest-assets: ## build kube-apiserver, etcd (and kubectl if missing) into .cache/envtest
	./hack/envtest-assets.sh

envtest: ## CRD and webhook scenarios against a real kube-apiserver + etcd
	assets=$$(./hack/envtest-assets.sh) && KUBEBUILDER_ASSETS=$$assets $(GO) test -count=1 ./test/crds/ ./test/envtest/ ./test/dialect/

TEST_TARGETS += envtest
