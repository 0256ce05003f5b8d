#!/usr/bin/env bash
# Trains the default model if this checkout has none yet, runs the test suite with its coverage gate, then builds the
# model-server image with docker, or with podman when there is no Docker engine (only the docker client), and prints
# the image's size (scripts/container/app-build.sh, with the model as what this image adds).
#
# Usage: services/model-server/deployment/app-build.sh [image-tag]     (default tag: model-server:latest)
#   MODEL_DIR=<path>        MLflow model directory to bake in at /app/model, relative to the repository root (the build
#                           context; .dockerignore must let it in). Default: ml/housing-price-model/models/default,
#                           written by `npm run train:default` when missing.
#   NODE_IMAGE=<ref>        base image for every stage (default: the Dockerfile's node:24-bookworm-slim). Machines
#                           without a registry: scripts/container/standin-base.sh, then NODE_IMAGE=localhost/node-standin:24
#   CONTAINER_ENGINE=docker|podman   skip the detection
set -euo pipefail
# shellcheck source=../../../scripts/container/app-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/container/app-build.sh"

default_model_dir=ml/housing-price-model/models/default
model_dir="${MODEL_DIR:-$default_model_dir}"

app_build_check() {
  [[ "$model_dir" != /* ]] || app_build_fail "MODEL_DIR must be relative to the repository root (the build context), not ${model_dir}"
}

app_build_prepare() {
  if [[ ! -f "${repo_root}/${model_dir}/MLmodel" ]]; then
    [[ "$model_dir" == "$default_model_dir" ]] || app_build_fail "MODEL_DIR=${model_dir} has no MLmodel: not an MLflow model directory"
    echo "==> Training the default model (npm run train:default)"
    (cd "$repo_root" && npm run train:default)
  fi
}

app_build_args=(--build-arg "MODEL_DIR=${model_dir}")
app_build_note=", model ${model_dir}"

app_build model-server "$@"
