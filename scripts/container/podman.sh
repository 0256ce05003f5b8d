#!/usr/bin/env bash
# Runs podman the way this project's machines need it: the runc runtime and the project-owned
# containers.conf (no ulimits, cgroupfs). Every other container script calls podman through this one.
# Usage: scripts/container/podman.sh <podman arguments...>
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CONTAINERS_CONF="${repo_root}/deploy/containers.conf"

if ! command -v podman >/dev/null 2>&1; then
  echo "podman.sh: podman is not installed (run scripts/system-deps.sh, or: apt-get install -y podman runc)" >&2
  exit 127
fi

exec podman --runtime runc "$@"
