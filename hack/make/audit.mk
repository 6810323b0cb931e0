# The background scan (pkg/audit, docs/audit.md): the real binary with --audit against a
# real kube-apiserver + etcd with KubeVirt's and OpenReports' CRDs — Reports follow the
# objects, the Lease moves between two replicas, every metric the dashboard and alerts read
# is exported — and the PromQL of the chart's dashboard and alerts, parsed by Prometheus's
# own parser (hack/promql: a module of its own, as the Prometheus module needs a newer
# Kubernetes line than this project builds on).
.PHONY: audit-test

audit-test: ## background scan on a real API server (Reports, Lease moves, metrics); dashboard and alert PromQL parsed
	$(GO) -C hack/promql vet ./...
	helm=$$(./hack/tools.sh helm) && HELM=$$helm $(GO) -C hack/promql test -count=1 ./...
	assets=$$(./hack/envtest-assets.sh) && KUBEBUILDER_ASSETS=$$assets $(GO) test -count=1 ./test/audit/

TEST_TARGETS += audit-test
