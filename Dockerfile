# syntax=docker/dockerfile:1
# Build a static binary: no libc, so it runs on an image with nothing else in it.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/jenkins-trigger/jenkins-trigger/internal/version.Version=${VERSION} -X github.com/jenkins-trigger/jenkins-trigger/internal/version.Commit=${COMMIT} -X github.com/jenkins-trigger/jenkins-trigger/internal/version.Date=${DATE}" \
      -o /out/jenkins-trigger .

# distroless/static has CA certificates and nothing else: no shell, so nothing
# can stand between the runner and the binary. It runs as root on purpose:
# GitHub mounts the workspace and the file-command files (GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY) owned by the runner user, and a container action that
# is not root cannot write them.
FROM gcr.io/distroless/static-debian12
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
# OCI labels; the release workflow adds its own from docker/metadata-action,
# which take precedence for the published image.
LABEL org.opencontainers.image.title="jenkins-trigger" \
      org.opencontainers.image.description="Trigger a Jenkins job from GitHub Actions or any CI" \
      org.opencontainers.image.source="https://github.com/jenkins-trigger/jenkins-trigger" \
      org.opencontainers.image.documentation="https://github.com/jenkins-trigger/jenkins-trigger#readme" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${DATE}"
COPY --from=build /out/jenkins-trigger /jenkins-trigger
# Exec form: the runner passes inputs as INPUT_BUILD-TOKEN and the like,
# which a POSIX shell would silently drop.
ENTRYPOINT ["/jenkins-trigger"]
