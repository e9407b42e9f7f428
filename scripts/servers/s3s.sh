#!/usr/bin/env bash
# s3s-fs: a Rust S3 server that checks SigV4 (see README.md for the convention).
#   scripts/servers/s3s.sh start|stop
# Writes $TROVE_SERVERS_DIR/s3s.env: TROVE_TEST_S3S_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _DSN.
set -euo pipefail
NAME=s3s
DIR="${TROVE_SERVERS_DIR:-$HOME/.cache/trove-servers}"
STATE="$DIR/$NAME"
ENV_FILE="$DIR/$NAME.env"
PIDFILE="$STATE/pid"
VERSION=0.14.1

stop() {
    if [ -f "$PIDFILE" ]; then
        pid="$(cat "$PIDFILE")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$PIDFILE"
    fi
    rm -f "$ENV_FILE"
}

start() {
    mkdir -p "$STATE/data"
    stop
    BIN="$(command -v s3s-fs || true)"
    if [ -z "$BIN" ] && [ -x "$HOME/.cargo/bin/s3s-fs" ]; then BIN="$HOME/.cargo/bin/s3s-fs"; fi
    if [ -z "$BIN" ]; then
        echo "s3s.sh: installing s3s-fs $VERSION (takes 5-9 minutes the first time)" >&2
        cargo install --locked "s3s-fs@$VERSION" --features binary >&2
        BIN="$HOME/.cargo/bin/s3s-fs"
    fi
    PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    AK="trovetest$RANDOM"
    SK="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    rm -rf "$STATE/data" && mkdir -p "$STATE/data"
    nohup "$BIN" --host 127.0.0.1 --port "$PORT" --access-key "$AK" --secret-key "$SK" "$STATE/data" \
        >"$STATE/log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" || true)"
        if [ "$code" = "403" ]; then
            {
                echo "export TROVE_TEST_S3S_ENDPOINT=http://127.0.0.1:$PORT"
                echo "export TROVE_TEST_S3S_ACCESS_KEY=$AK"
                echo "export TROVE_TEST_S3S_SECRET_KEY=$SK"
                echo "export TROVE_TEST_S3S_DSN='s3://?region=us-east-1&endpoint=http://127.0.0.1:$PORT&path_style=true'"
            } >"$ENV_FILE"
            echo "s3s-fs ready on 127.0.0.1:$PORT ($ENV_FILE)" >&2
            return 0
        fi
        sleep 0.1
    done
    echo "s3s.sh: s3s-fs did not come up on port $PORT; log: $STATE/log" >&2
    tail -5 "$STATE/log" >&2 || true
    stop
    exit 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
