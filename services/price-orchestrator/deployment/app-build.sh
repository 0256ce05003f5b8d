#!/usr/bin/env bash
# Runs the test suite with its coverage gate, then builds the price-orchestrator image with docker, or with podman
# when there is no Docker engine (only the docker client), and prints the image's size. The image holds no model: it
# calls the model server at MODEL_SERVER_URL (default in prod: http://model-server:8080).
#
# Usage: services/price-orchestrator/deployment/app-build.sh [image-tag]   (default tag: price-orchestrator:latest)
#   NODE_IMAGE=<ref>        base image for every stage (default: the Dockerfile's node:24-bookworm-slim). Machines
#                           without a registry: scripts/container/standin-base.sh, then NODE_IMAGE=localhost/node-standin:24
#   CONTAINER_ENGINE=docker|podman   skip the detection
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
repo_root="$(cd ../../.. && pwd)"
dockerfile="${repo_root}/services/price-orchestrator/Dockerfile"
image="${1:-price-orchestrator:latest}"

fail() {
  echo "app-build.sh: $*" >&2
  exit 1
}

command -v node >/dev/null 2>&1 || fail "node is not installed (Node 20.19 or newer is needed to run the tests)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed"
node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)' ||
  fail "Node $(node --version) is too old: the repository needs 20.19 or newer"
[[ -d "${repo_root}/node_modules" ]] || fail "dependencies are not installed: run 'npm ci' in ${repo_root}"

engine="${CONTAINER_ENGINE:-}"
if [[ -z "$engine" ]]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    engine=docker
  elif command -v podman >/dev/null 2>&1; then
    engine=podman
  else
    fail "no container engine: install Docker, or Podman (scripts/system-deps.sh)"
  fi
fi
case "$engine" in
  docker) build=(docker build) inspect=(docker image inspect) ;;
  # Through the project's wrapper (runc, project containers.conf); host networking needs no bridge setup.
  podman)
    build=("${repo_root}/scripts/container/podman.sh" build --network host --format docker)
    inspect=("${repo_root}/scripts/container/podman.sh" image inspect)
    ;;
  *) fail "CONTAINER_ENGINE must be docker or podman, not '${engine}'" ;;
esac

echo "==> Tests with coverage (npm test)"
(cd "$repo_root" && npm test)

build_args=()
if [[ -n "${NODE_IMAGE:-}" ]]; then build_args+=(--build-arg "NODE_IMAGE=${NODE_IMAGE}"); fi

echo "==> Building ${image} with ${engine}${NODE_IMAGE:+ on ${NODE_IMAGE}}"
"${build[@]}" --file "$dockerfile" --tag "$image" "${build_args[@]}" "$repo_root"

size_bytes="$("${inspect[@]}" --format '{{.Size}}' "$image")"
echo "==> Built ${image}: $((size_bytes / 1000000)) MB (${size_bytes} bytes)"
