#!/usr/bin/env bash
# Runs the test suite with its coverage gate, then builds the price-orchestrator image with docker, or with podman
# when there is no Docker engine (only the docker client), and prints the image's size (scripts/container/app-build.sh).
# The image holds no model: it calls the model server at MODEL_SERVER_URL (default in prod: http://model-server:8080).
#
# Usage: services/price-orchestrator/deployment/app-build.sh [image-tag]   (default tag: price-orchestrator:latest)
#   NODE_IMAGE=<ref>        base image for every stage (default: the Dockerfile's node:24-bookworm-slim). Machines
#                           without a registry: scripts/container/standin-base.sh, then NODE_IMAGE=localhost/node-standin:24
#   CONTAINER_ENGINE=docker|podman   skip the detection
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/container/app-build.sh" price-orchestrator "$@"
