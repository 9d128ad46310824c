# syntax=docker/dockerfile:1
# cot-proxy as a distroless container: one native-AOT binary, no shell, no package manager.
#
#   docker build -t cot-proxy .
#   docker buildx build --platform linux/amd64,linux/arm64 -t cot-proxy .
#   docker run --rm -p 5000:5000 -e TARGET_BASE_URL=http://my-model-server:8080/v1/ cot-proxy
#
# The build stage runs on the build machine's platform and cross-compiles when the target differs
# (amd64 -> arm64 with clang, lld and the aarch64 cross toolchain): the .NET SDK is not supported
# under QEMU emulation. It calls scripts/publish.sh, the same publish command CI uses, so the
# binary in the image is the one scripts/smoke.sh and scripts/rootfs-smoke.sh test.

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
ARG BUILDARCH
# clang and zlib1g-dev are the native AOT prerequisites; an arm64 target on an amd64 builder
# also needs lld and the aarch64 cross compiler and libraries (publish.sh would install them
# itself; installing them here keeps them in a cached layer).
RUN set -eu; \
    packages="clang zlib1g-dev"; \
    if [ "$TARGETARCH" = arm64 ] && [ "$BUILDARCH" = amd64 ]; then \
      packages="$packages lld gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu"; \
    fi; \
    apt-get update; \
    apt-get install -y --no-install-recommends $packages; \
    rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore first, so a source change does not download the packages again. The project's target framework and
# analyzer settings live in Directory.Build.props, and global.json picks the SDK: both are needed to restore.
COPY CotProxy.csproj Directory.Build.props global.json ./
RUN set -eu; \
    case "$TARGETARCH" in \
      amd64) rid=linux-x64 ;; \
      arm64) rid=linux-arm64 ;; \
      *) echo "unsupported TARGETARCH '$TARGETARCH' (amd64 or arm64)" >&2; exit 1 ;; \
    esac; \
    echo "$rid" > /rid; \
    dotnet restore -r "$rid"
COPY . .
RUN scripts/publish.sh "$(cat /rid)" /out

# Microsoft's chiseled Ubuntu image for self-contained apps: glibc, libssl (dlopened for HTTPS
# upstreams) and CA certificates; no shell, no package manager. Google's gcr.io/distroless/cc-debian12 also works.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
COPY --from=build --chmod=0755 /out/cot-proxy /app/cot-proxy
# Any non-root uid works: the proxy writes nothing to disk. 65532 is distroless's "nonroot".
USER 65532:65532
WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=5000
EXPOSE 5000
# health-check asks this container's /health (HOST/PORT above), which also checks the upstream:
# the container turns unhealthy while TARGET_BASE_URL cannot be reached.
HEALTHCHECK --interval=30s --timeout=10s --start-period=5s --retries=3 CMD ["/app/cot-proxy", "health-check"]
ENTRYPOINT ["/app/cot-proxy"]
