#!/usr/bin/env bash
# Installs what building trove-host needs on a fresh machine: the
# wasm32-wasip2 target for the drivers. (Never replaces the toolchain.)
set -euo pipefail
if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  echo "setup: adding the wasm32-wasip2 target"
  rustup target add wasm32-wasip2
fi
