#!/usr/bin/env bash
# Builds this driver for wasm32-wasip2 (adding the target if it is missing)
# and prints the path of the .wasm as its last line:
#   trove-host conformance "$(./build.sh)" --dsn {{name}}://
set -euo pipefail
cd "$(dirname "$0")"
[ -n "${CARGO_TARGET_DIR:-}" ] || unset CARGO_TARGET_DIR
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2 >&2
fi
cargo build --release --target wasm32-wasip2 >&2
target="${CARGO_TARGET_DIR:-$PWD/target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
echo "$target/wasm32-wasip2/release/{{crate}}.wasm"
