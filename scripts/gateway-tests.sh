#!/usr/bin/env bash
# The S3 gateway (`trove-host serve`) tested from outside, as users reach it:
#   1. boto3 (pytest, gateway/tests/test_boto3.py) against `serve` in front of
#      the mem driver and the file driver;
#   2. rclone copy/sync/check of a tree to and from `serve` (file driver),
#      with no "corrupted on transfer" (scripts/gateway-rclone.sh);
#   3. the project's own S3 driver pointed at `serve` (one trove-host in front
#      of another) passes `trove-host conformance`.
# Each server is stopped with SIGTERM and must exit cleanly (graceful shutdown).
# Creates a venv with boto3 and pytest under $CARGO_TARGET_DIR (default target/).
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET/venv-gateway"
WORK="$TARGET/gateway-tests"
BIN="${TROVE_HOST_BIN:-$TARGET/debug/trove-host}"

LABEL=gateway-tests
# shellcheck source=lib/serve.bash
source scripts/lib/serve.bash
ensure_venv "$VENV" "boto3, pytest" boto3 pytest
build_host

rm -rf "$WORK" && mkdir -p "$WORK"
new_keys gwtest
trap stop_server EXIT

# stop_checked NAME: SIGTERM, and the server must exit 0 after saying "stopped".
stop_checked() {
    local name="$1"
    kill -TERM "$PID"
    local rc=0
    wait "$PID" || rc=$?
    PID=""
    if [ "$rc" != 0 ] || ! grep -q '^stopped' "$WORK/$name.out"; then
        echo "gateway-tests: FAILED: serve ($name) did not shut down cleanly on SIGTERM (exit $rc); log $WORK/$name.log" >&2
        return 1
    fi
    echo "gateway-tests: serve ($name) shut down cleanly on SIGTERM"
}

failed=0
for driver in mem file; do
    case "$driver" in
        mem) dsn="mem://" ;;
        file) dsn="file://$WORK/file-store" ;;
    esac
    start_server "$driver" "$dsn"
    echo "gateway-tests: boto3 against serve ($driver) at $ENDPOINT"
    if ! TROVE_GATEWAY_ENDPOINT="$ENDPOINT" "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
        gateway/tests/test_boto3.py; then
        echo "gateway-tests: FAILED: boto3 against serve ($driver); server log $WORK/$driver.log" >&2
        failed=1
    fi
    if [ "$driver" = file ]; then
        scripts/gateway-rclone.sh "$ENDPOINT" "$WORK/rclone" || failed=1
    fi
    stop_checked "$driver" || failed=1
done

# The S3 driver in front of the gateway in front of the mem driver.
start_server s3-conformance "mem://"
port="${ENDPOINT##*:}"
s3_dsn="s3://?region=us-east-1&endpoint=http://127.0.0.1:$port&path_style=true"
echo "gateway-tests: trove-host conformance s3 through serve (mem) at $ENDPOINT"
if ! "$BIN" conformance s3 --dsn "$s3_dsn" \
    --credentials-env TROVE_GATEWAY_ACCESS_KEY,TROVE_GATEWAY_SECRET_KEY; then
    echo "gateway-tests: FAILED: the S3 driver's conformance through serve; server log $WORK/s3-conformance.log" >&2
    failed=1
fi
stop_checked s3-conformance || failed=1

if [ "$failed" != 0 ]; then
    echo "gateway-tests: FAILED"
    exit 1
fi
echo "gateway-tests: all passed"
