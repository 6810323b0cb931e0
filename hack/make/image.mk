# The container image, built without a container engine: hack/image compiles the static
# binary and assembles the image with go-containerregistry. hack/image is a module of its
# own, so go-containerregistry's dependencies stay out of the webhook's go.mod. See
# docs/image.md.
.PHONY: image push image-test

IMAGE_REPO ?= ghcr.io/linkstate-webhook/linkstate-webhook
IMAGE_TAG ?= $(or $(VERSION),devel)
IMAGE ?= $(IMAGE_REPO):$(IMAGE_TAG)
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
IMAGE_TAR ?= $(BIN)/linkstate-webhook-$(IMAGE_TAG)-linux-$(IMAGE_ARCH).tar
# The commit and its time: the image's revision label, its creation time and every file's
# mtime, so the same commit always gives the same image digest.
IMAGE_REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
IMAGE_BUILDER := $(BIN)/image-builder

image: ## build the image as a tarball for docker/podman load and kind load image-archive (IMAGE=…, IMAGE_ARCH=arm64)
	@GOOS= GOARCH= $(GO) -C hack/image build -o $(CURDIR)/$(IMAGE_BUILDER) .
	$(IMAGE_BUILDER) build -version '$(or $(VERSION),devel)' -tag '$(IMAGE)' -o '$(IMAGE_TAR)' \
		-arch '$(IMAGE_ARCH)' -revision '$(IMAGE_REVISION)' -created '$(SOURCE_DATE_EPOCH)' -go '$(GO)'

push: image ## push the image to IMAGE=registry/repository:tag with docker's or podman's credentials
	$(IMAGE_BUILDER) push -tarball '$(IMAGE_TAR)' '$(IMAGE)'

image-test: ## build the image and check its config, files and binary; push it to an in-process registry
	$(GO) -C hack/image vet ./...
	$(GO) -C hack/image test -count=1 ./...

TEST_TARGETS += image-test
