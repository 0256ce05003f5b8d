#!/usr/bin/env bash
# Runs the test suite with its coverage gate, then builds a service's image (services/<service>/Dockerfile, the
# repository root as build context) with docker, or with podman when there is no Docker engine (only the docker
# client), and prints the image's size. The services' deployment/app-build.sh scripts call it.
#
# Usage: scripts/container/app-build.sh <service> [image-tag]     (default tag: <service>:latest)
#   NODE_IMAGE=<ref>        base image for every stage (default: the Dockerfile's node:24-bookworm-slim). Machines
#                           without a registry: scripts/container/standin-base.sh, then NODE_IMAGE=localhost/node-standin:24
#   CONTAINER_ENGINE=docker|podman   skip the detection
#
# A service whose image needs more sources this file, sets what it needs, then calls `app_build <service> "$@"`:
#   app_build_check         function: further prerequisite checks, after the common ones
#   app_build_prepare       function: run before the tests (e.g. training the model the image bakes in)
#   app_build_args          array: further `docker build` arguments (e.g. --build-arg MODEL_DIR=...)
#   app_build_note          text added to the "Building" line (e.g. ", model <dir>")
# Inside them, `repo_root` is the repository root and `app_build_fail <message>` stops the build.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

app_build_fail() {
  echo "app-build.sh: $*" >&2
  exit 1
}

app_build() {
  [[ $# -ge 1 && -n "$1" ]] || app_build_fail "usage: app-build.sh <service> [image-tag]"
  local service="$1"
  local image="${2:-${service}:latest}"
  local dockerfile="${repo_root}/services/${service}/Dockerfile"
  [[ -f "$dockerfile" ]] || app_build_fail "no services/${service}/Dockerfile: not a service of this repository"

  command -v node >/dev/null 2>&1 || app_build_fail "node is not installed (Node 20.19 or newer is needed to run the tests)"
  command -v npm >/dev/null 2>&1 || app_build_fail "npm is not installed"
  node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)' ||
    app_build_fail "Node $(node --version) is too old: the repository needs 20.19 or newer"
  [[ -d "${repo_root}/node_modules" ]] || app_build_fail "dependencies are not installed: run 'npm ci' in ${repo_root}"
  if declare -F app_build_check >/dev/null; then app_build_check; fi

  local engine="${CONTAINER_ENGINE:-}"
  if [[ -z "$engine" ]]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      engine=docker
    elif command -v podman >/dev/null 2>&1; then
      engine=podman
    else
      app_build_fail "no container engine: install Docker, or Podman (scripts/system-deps.sh)"
    fi
  fi
  local build inspect
  case "$engine" in
    docker) build=(docker build) inspect=(docker image inspect) ;;
    # Through the project's wrapper (runc, project containers.conf); host networking needs no bridge setup.
    podman)
      build=("${repo_root}/scripts/container/podman.sh" build --network host --format docker)
      inspect=("${repo_root}/scripts/container/podman.sh" image inspect)
      ;;
    *) app_build_fail "CONTAINER_ENGINE must be docker or podman, not '${engine}'" ;;
  esac

  if declare -F app_build_prepare >/dev/null; then app_build_prepare; fi

  echo "==> Tests with coverage (npm test)"
  (cd "$repo_root" && npm test)

  local build_args=("${app_build_args[@]+"${app_build_args[@]}"}")
  if [[ -n "${NODE_IMAGE:-}" ]]; then build_args+=(--build-arg "NODE_IMAGE=${NODE_IMAGE}"); fi
  # The OCI labels: the service's version, the commit, and where the repository lives (package.json's repository,
  # else the origin remote; empty when neither is known).
  local version revision source_url
  version="$(node -p "require('${repo_root}/services/${service}/package.json').version")"
  revision="$(git -C "$repo_root" rev-parse HEAD 2>/dev/null || echo unknown)"
  source_url="$(node -p "const r = require('${repo_root}/package.json').repository; (typeof r === 'string' ? r : r?.url) ?? ''")"
  if [[ -z "$source_url" ]]; then source_url="$(git -C "$repo_root" remote get-url origin 2>/dev/null || true)"; fi
  build_args+=(--build-arg "VERSION=${version}" --build-arg "REVISION=${revision}" --build-arg "SOURCE_URL=${source_url}")

  echo "==> Building ${image} with ${engine}${NODE_IMAGE:+ on ${NODE_IMAGE}}${app_build_note:-}"
  "${build[@]}" --file "$dockerfile" --tag "$image" "${build_args[@]+"${build_args[@]}"}" "$repo_root"

  local size_bytes
  size_bytes="$("${inspect[@]}" --format '{{.Size}}' "$image")"
  echo "==> Built ${image}: $((size_bytes / 1000000)) MB (${size_bytes} bytes)"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then app_build "$@"; fi
