#!/usr/bin/env bash
# s3s-fs: a Rust S3 server that checks SigV4 (see README.md for the convention).
#   scripts/servers/s3s.sh start|stop
# Writes $TROVE_SERVERS_DIR/s3s.env: TROVE_TEST_S3S_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _DSN.
set -euo pipefail
NAME=s3s
# shellcheck source=lib.bash
source "$(dirname "$0")/lib.bash"
VERSION=0.14.1

answers_403() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" || true)" = 403 ]
}

start() {
    BIN="$(command -v s3s-fs || true)"
    if [ -z "$BIN" ] && [ -x "$HOME/.cargo/bin/s3s-fs" ]; then BIN="$HOME/.cargo/bin/s3s-fs"; fi
    if [ -z "$BIN" ]; then
        echo "s3s.sh: installing s3s-fs $VERSION (takes 5-9 minutes the first time)" >&2
        cargo install --locked "s3s-fs@$VERSION" --features binary >&2
        BIN="$HOME/.cargo/bin/s3s-fs"
    fi
    PORT="$(free_port)"
    AK="trovetest$RANDOM"
    SK="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    rm -rf "$STATE/data" && mkdir -p "$STATE/data"
    launch "$BIN" --host 127.0.0.1 --port "$PORT" --access-key "$AK" --secret-key "$SK" "$STATE/data"
    wait_for "s3s-fs on port $PORT" answers_403
    {
        echo "export TROVE_TEST_S3S_ENDPOINT=http://127.0.0.1:$PORT"
        echo "export TROVE_TEST_S3S_ACCESS_KEY=$AK"
        echo "export TROVE_TEST_S3S_SECRET_KEY=$SK"
        echo "export TROVE_TEST_S3S_DSN='s3://?region=us-east-1&endpoint=http://127.0.0.1:$PORT&path_style=true'"
        echo "export TROVE_TEST_S3S_PID=$(cat "$PIDFILE")"   # the bench reads the server's CPU time
    } >"$ENV_FILE"
    echo "s3s-fs ready on 127.0.0.1:$PORT ($ENV_FILE)" >&2
}

server_main "$@"
