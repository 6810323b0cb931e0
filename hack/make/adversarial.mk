# The adversarial suite (issue #17): a tenant with a namespace admin's rights tries every way
# around the rules and the opt-out with kubectl, against a real kube-apiserver + etcd, the
# shipped webhook configurations and opt-out guard, and the real webhook binary.
.PHONY: adversarial-test

adversarial-test: ## a namespace admin tries every way around the rules and the opt-out label (test/adversarial)
	assets=$$(./hack/envtest-assets.sh) && KUBEBUILDER_ASSETS=$$assets $(GO) test -count=1 ./test/adversarial/

TEST_TARGETS += adversarial-test
