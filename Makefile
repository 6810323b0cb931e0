# linkstate-webhook — see README.md. Everything here works offline on a fresh machine that
# reaches the Go module proxy; tools are built from modules into git-ignored folders.
SHELL := /usr/bin/env bash -o pipefail
GO ?= go
BIN := bin

.PHONY: all build test unit lint envtest-assets clean help

all: build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build bin/webhook
	$(GO) build -o $(BIN)/webhook ./cmd/webhook

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit: ## unit and handler tests (no API server)
	$(GO) test -race -count=1 ./pkg/... ./cmd/... ./internal/...

test: lint unit ## everything CI runs

envtest-assets: ## build kube-apiserver, etcd (and kubectl if missing) for envtest
	./hack/envtest-assets.sh

clean: ## remove built binaries (keeps the envtest cache)
	rm -rf $(BIN)
