#!/usr/bin/env bash
# Builds the example WebDAV driver for wasm32-wasip2 and prints the path of the
# .wasm as its last line. Its target folder is ${CARGO_TARGET_DIR:-target}/examples-webdav
# (a workspace of its own, so it never waits on another build's lock).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/examples-webdav"
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2 >&2
(cd "$HERE" && CARGO_TARGET_DIR="$TARGET" cargo build --release --target wasm32-wasip2 >&2)
echo "$TARGET/wasm32-wasip2/release/trove_example_webdav.wasm"
