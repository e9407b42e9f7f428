#!/usr/bin/env bash
# The benchmarks (not tests): every wasm driver against a native baseline in
# the same run (OpenDAL memory/fs/s3, cp, memcpy), written to
# target/bench-report.md. `scripts/bench.sh --quick` skips the 1 GiB rows.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release -p trove-cli        # for the ping start-up rows
export TROVE_SERVERS_DIR="${TROVE_SERVERS_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/test-servers}"
mkdir -p "$TROVE_SERVERS_DIR"
scripts/servers/s3s.sh start              # the s3 rows: trove s3 driver vs OpenDAL s3, same server
trap 'scripts/servers/s3s.sh stop' EXIT
# shellcheck disable=SC1091
source "$TROVE_SERVERS_DIR/s3s.env"
cargo bench -p trove-bench -- "$@"
