# Shared by scripts/gateway-tests.sh and scripts/s3-tests.sh: one
# `trove-host serve` on a free loopback port, with a fresh key pair.
# Needs BIN (the trove-host binary) and WORK (a folder for logs); LABEL names
# the caller in messages.

# ensure_venv VENV MODULES PIP_ARGS...: a venv in which `import MODULES` works
# (pip-installing PIP_ARGS when it does not yet).
ensure_venv() {
    local venv="$1" modules="$2"
    shift 2
    if [ ! -x "$venv/bin/python" ]; then
        echo "$LABEL: creating $venv"
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c "import $modules" 2>/dev/null; then
        echo "$LABEL: installing $*"
        "$venv/bin/pip" install --quiet "$@"
    fi
}

# build_host: builds trove-host unless TROVE_HOST_BIN names one.
build_host() {
    if [ -z "${TROVE_HOST_BIN:-}" ]; then
        cargo build -p trove-cli
    fi
}

# new_keys: exports TROVE_GATEWAY_ACCESS_KEY/SECRET_KEY, fresh for this run.
new_keys() {
    export TROVE_GATEWAY_ACCESS_KEY="${1:-gw}$RANDOM"
    TROVE_GATEWAY_SECRET_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    export TROVE_GATEWAY_SECRET_KEY
}

PID=""
stop_server() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
        PID=""
    fi
}

# start_server NAME DSN: runs serve on a free port; sets PID and ENDPOINT.
start_server() {
    local name="$1" dsn="$2"
    local out="$WORK/$name.out" log="$WORK/$name.log"
    "$BIN" serve --dsn "$dsn" --listen 127.0.0.1:0 \
        --access-key-env TROVE_GATEWAY_ACCESS_KEY --secret-key-env TROVE_GATEWAY_SECRET_KEY \
        --spool-dir "$WORK/spool-$name" >"$out" 2>"$log" &
    PID=$!
    for _ in $(seq 1 300); do
        if grep -q '^serving ' "$out"; then
            ENDPOINT="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out" | head -1)"
            echo "$LABEL: $(head -1 "$out")"
            return 0
        fi
        if ! kill -0 "$PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "$LABEL: serve for $name did not start; log $log:" >&2
    tail -20 "$log" >&2 || true
    exit 1
}
