# linkstate-webhook: one static binary on distroless, as a non-root user.
#
#   docker build -t ghcr.io/linkstate-webhook/linkstate-webhook:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ... --push .
#
# The chart and config/ run it as `/webhook serve ...` with a read-only root filesystem.

# The builder runs on the build machine's platform and cross-compiles for the target one.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
# The release version `webhook version` and the startup log report.
ARG VERSION=dev
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
COPY --from=build /out/webhook /webhook
# Numeric, so Kubernetes can verify runAsNonRoot.
USER 65532:65532
ENTRYPOINT ["/webhook"]
CMD ["serve"]
