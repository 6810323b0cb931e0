# The rules as CEL admission policies (`webhook cel`, pkg/cel, docs/cel.md): the proof,
# through one real kube-apiserver with the MutatingAdmissionPolicy feature gate, that the
# generated policies give the webhook's verdicts over the whole rule table, their type check
# against KubeVirt's schemas, and the chart's cel mode installed. test/cel/typecheck is a
# module of its own (k8s.io/apiserver stays out of go.mod); the first run builds it (~3 min).
.PHONY: cel-chart cel-test

cel-chart: ## regenerate the policies the chart carries (charts/linkstate-webhook/files/cel) from pkg/cel
	$(GO) run ./hack/celchart

cel-test: ## generated CEL policies vs the webhook on one API server, their type check, the chart's cel mode
	$(GO) -C test/cel/typecheck vet ./...
	assets=$$(./hack/envtest-assets.sh) && helm=$$(./hack/tools.sh helm) && \
		HELM=$$helm KUBEBUILDER_ASSETS=$$assets $(GO) test -count=1 -timeout 20m ./test/cel/

TEST_TARGETS += cel-test
