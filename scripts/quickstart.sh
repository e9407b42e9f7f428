#!/usr/bin/env bash
# The main job, no server needed: build trove-host (with its built-in mem and
# file drivers), store and fetch an object through the sandboxed file driver,
# and run the conformance suite against both built-in drivers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release
bin="${CARGO_TARGET_DIR:-target}/release/trove-host"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dsn="file://$work/store"

echo "== trove-host drivers"
"$bin" drivers
echo "== a round trip through the file driver ($dsn)"
echo "hello from trove-host" > "$work/hello.txt"
"$bin" mb demo --dsn "$dsn"
"$bin" put demo greetings/hello.txt "$work/hello.txt" --content-type text/plain --meta Owner=Me --dsn "$dsn"
"$bin" ls demo --dsn "$dsn" --all
"$bin" head demo greetings/hello.txt --dsn "$dsn"
"$bin" get demo greetings/hello.txt --dsn "$dsn"
echo "== conformance: mem"
"$bin" conformance mem --dsn mem://
echo "== conformance: file"
"$bin" conformance file --dsn "file://$work/conformance"
