# linkstate-webhook — see README.md. Everything here works offline on a fresh machine that
# reaches the Go module proxy; tools are built from modules into the git-ignored .cache/.
#
# Each area keeps its targets in hack/make/<area>.mk and adds its CI target to TEST_TARGETS;
# `make test` (what .ci/run calls) runs them all, in order.
SHELL := /usr/bin/env bash -o pipefail
GO ?= go
BIN := bin
CACHE := $(CURDIR)/.cache
TEST_TARGETS := lint unit

# The version binaries and images report: the tag, else the commit, "-dirty" with uncommitted
# changes (or VERSION=v1.2.3). Empty outside a git checkout: the binary then reports what Go
# recorded, or (devel).
ifeq ($(origin VERSION),undefined)
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null)
endif

.PHONY: all build test test-stages unit lint clean help

all: build

help: ## list targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build bin/webhook, stamped with VERSION (git describe)
	$(GO) build -ldflags "$(if $(VERSION),-X main.buildVersion=$(VERSION))" -o $(BIN)/webhook ./cmd/webhook

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit: ## unit and handler tests, and the README held to the Makefile (no API server)
	$(GO) test -race -count=1 ./pkg/... ./cmd/... ./internal/... ./test/docs/... ./test/harness/

clean: ## remove built binaries (keeps .cache)
	rm -rf $(BIN)

include $(sort $(wildcard hack/make/*.mk))

# After the includes, so every area's target is in the list. The stages run one after the
# other, and a table of their times ends the output.
test: ## everything CI runs (.ci/run), stage by stage: see `make test-stages`
	@./hack/stages.sh "$(MAKE)" $(TEST_TARGETS)

test-stages: ## list what `make test` runs, in order
	@echo $(TEST_TARGETS)
