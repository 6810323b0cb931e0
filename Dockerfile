# linkstate-webhook: one static binary on distroless, as a non-root user. For machines with
# a container engine; `make image` builds the same binary into an image without one (see
# docs/image.md). Pass the version as make stamps it:
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg REVISION=$(git rev-parse HEAD) -t ghcr.io/linkstate-webhook/linkstate-webhook:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=... -t ... --push .
#
# The chart and config/ run it as `/webhook serve ...` with a read-only root filesystem.

# The builder runs on the build machine's platform and cross-compiles for the target one.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
# The version `webhook version` and the startup log report. Without it: "(devel)" (.git is
# not in the build context, so Go cannot stamp the commit either).
ARG VERSION=
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary needs no libc in the runtime image. No VCS stamping: .git is not
# in the build context (see .dockerignore).
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false -ldflags="-s -w -X main.buildVersion=${VERSION}" -o /out/webhook ./cmd/webhook

# No shell, no package manager; CA certificates and /etc/passwd for the nonroot user only.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=
ARG REVISION=
LABEL org.opencontainers.image.title=linkstate-webhook \
      org.opencontainers.image.version=${VERSION} \
      org.opencontainers.image.revision=${REVISION} \
      org.opencontainers.image.source=https://github.com/linkstate-webhook/linkstate-webhook
COPY --from=build /out/webhook /webhook
# Numeric, so Kubernetes can verify runAsNonRoot.
USER 65532:65532
ENTRYPOINT ["/webhook"]
CMD ["serve"]
