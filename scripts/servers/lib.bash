# Shared by the server scripts (sourced, not run; scripts/test.sh starts *.sh only).
# A script sets NAME, sources this file, defines start(), and ends with `server_main "$@"`.
#   $STATE     its state folder ($TROVE_SERVERS_DIR/NAME), $PIDFILE, $ENV_FILE (NAME.env)
#   free_port  a free loopback TCP port
#   launch CMD...   start CMD in the background, logging to $STATE/log, pid in $PIDFILE
#   wait_for DESCRIPTION TEST-CMD...   retry TEST-CMD for up to 30 s, or give up
#   give_up MESSAGE   print MESSAGE and the log's tail, stop, exit 1
DIR="${TROVE_SERVERS_DIR:-$HOME/.cache/trove-servers}"
STATE="$DIR/$NAME"
ENV_FILE="$DIR/$NAME.env"
PIDFILE="$STATE/pid"

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

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

launch() {
    nohup "$@" >"$STATE/log" 2>&1 &
    echo $! >"$PIDFILE"
}

give_up() {
    echo "$NAME.sh: $*; log: $STATE/log" >&2
    tail -5 "$STATE/log" >&2 || true
    stop
    exit 1
}

wait_for() {
    local what="$1"
    shift
    for _ in $(seq 1 300); do
        if "$@"; then return 0; fi
        sleep 0.1
    done
    give_up "$what did not come up"
}

server_main() {
    case "${1:-}" in
        start) mkdir -p "$STATE"; stop; start ;;
        stop) stop ;;
        *) echo "usage: $0 start|stop" >&2; exit 2 ;;
    esac
}
