#!/usr/bin/env bash
# WsgiDAV, a WebDAV server, for the example WebDAV driver (see README.md for the convention).
#   scripts/servers/wsgidav.sh start|stop
# Serves a fresh folder, $TROVE_SERVERS_DIR/wsgidav/root, with anonymous access. No
# property manager (dead properties would be kept in memory only: the driver does
# not use them) and the default in-memory lock manager (the driver takes no locks).
# Writes $TROVE_SERVERS_DIR/wsgidav.env: TROVE_TEST_WSGIDAV_ENDPOINT, _DSN.
set -euo pipefail
NAME=wsgidav
# shellcheck source=lib.bash
source "$(dirname "$0")/lib.bash"
VENV="$STATE/venv"

start() {
    if [ ! -x "$VENV/bin/wsgidav" ]; then
        echo "wsgidav.sh: installing wsgidav and cheroot into $VENV" >&2
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q wsgidav cheroot >&2
    fi
    rm -rf "$STATE/root"
    mkdir -p "$STATE/root"
    PORT="$(free_port)"
    cat >"$STATE/wsgidav.yaml" <<EOF
host: 127.0.0.1
port: $PORT
server: cheroot
server_args:
  numthreads: 20
provider_mapping:
  "/": "$STATE/root"
http_authenticator:
  domain_controller: null
simple_dc:
  user_mapping:
    "*": true
property_manager: null
lock_storage: true
dir_browser:
  enable: false
verbose: 2
EOF
    launch "$VENV/bin/wsgidav" --config "$STATE/wsgidav.yaml"
    # A PROPFIND of the root answers 207 Multi-Status once it serves.
    wait_for "wsgidav on port $PORT" \
        curl -sf -o /dev/null -X PROPFIND -H 'Depth: 0' "http://127.0.0.1:$PORT/"
    {
        echo "export TROVE_TEST_WSGIDAV_ENDPOINT=http://127.0.0.1:$PORT"
        echo "export TROVE_TEST_WSGIDAV_DSN='dav://?endpoint=http://127.0.0.1:$PORT'"
    } >"$ENV_FILE"
    echo "wsgidav ready on 127.0.0.1:$PORT, serving $STATE/root ($ENV_FILE)" >&2
}

server_main "$@"
