#!/usr/bin/env bash
# Runs the test suite with its coverage gate, then builds the art-search image with docker, or with podman when
# there is no Docker engine (only the docker client), and prints the image's size (scripts/container/app-build.sh).
#
# Usage: services/art-search/deployment/app-build.sh [image-tag]        (default tag: art-search:latest)
#   NODE_IMAGE=<ref>        base image for both stages (default: the Dockerfile's node:24-bookworm-slim). Machines
#                           without a registry: scripts/container/standin-base.sh, then NODE_IMAGE=localhost/node-standin:24
#   CONTAINER_ENGINE=docker|podman   skip the detection
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/container/app-build.sh" art-search "$@"
