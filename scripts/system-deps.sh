#!/usr/bin/env bash
# Installs the Debian packages the image build and the system tests need, skipping what is already installed:
# podman and runc (images are built and run with Podman; crun does not work on cgroup v1 hosts), podman-compose (the
# system test brings deploy/compose.yaml up with it), chromium (the system test drives Swagger UI with playwright-core),
# ca-certificates, python3-onnx (the ONNX checker test of the exported model) and python3-pandas with python3-requests
# (the model server is tested with a real Python client, sending DataFrames the way the seeds' orchestrator does).
set -euo pipefail

packages=(podman runc podman-compose chromium ca-certificates python3-onnx python3-pandas python3-requests)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query --show --showformat='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "system-deps.sh: already installed: ${packages[*]}"
  exit 0
fi

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then as_root=(sudo); fi
echo "system-deps.sh: installing ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
