#!/usr/bin/env bash
# Azurite (the Azure Storage emulator, blob service only), in memory, on loopback
# (see README.md for the convention).
#   scripts/servers/azurite.sh start|stop
# Azurite checks SharedKey signatures and SAS tokens of its one account,
# devstoreaccount1, whose key is public (Microsoft's documented emulator key).
# Writes $TROVE_SERVERS_DIR/azurite.env: TROVE_TEST_AZURITE_ENDPOINT, _ACCOUNT, _KEY,
# _DSN (account and endpoint; the key goes in as the password) and
# _CONNECTION_STRING.
set -euo pipefail
NAME=azurite
# shellcheck source=lib.bash
source "$(dirname "$0")/lib.bash"
BIN="$STATE/node_modules/.bin/azurite-blob"
ACCOUNT=devstoreaccount1
# The emulator's well-known key (not a secret: it is in Microsoft's documentation).
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# Any HTTP answer (an unsigned request is refused with 4xx) means it listens.
answers() {
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/$ACCOUNT?comp=list" || true)"
    [ -n "$code" ] && [ "$code" != "000" ]
}

start() {
    if [ ! -x "$BIN" ]; then
        command -v npm >/dev/null || give_up "npm is needed to install azurite (scripts/setup.sh installs it)"
        echo "azurite.sh: installing azurite into $STATE" >&2
        npm install --prefix "$STATE" --no-audit --no-fund --loglevel=error azurite >&2
    fi
    PORT="$(free_port)"
    # --inMemoryPersistence keeps nothing on disk (and cannot be combined with --location);
    # --skipApiVersionCheck accepts a newer x-ms-version than this Azurite knows;
    # --blobKeepAliveTimeout: Node's default of 5 s closes idle connections a
    # client may be about to reuse ("connection reset by peer"); Azure's own
    # front ends keep them for minutes.
    launch "$BIN" --blobHost 127.0.0.1 --blobPort "$PORT" --inMemoryPersistence \
        --disableTelemetry --skipApiVersionCheck --blobKeepAliveTimeout 300
    wait_for "azurite-blob on port $PORT" answers
    # Authentication must be enforced: an unsigned listing is refused.
    if [ "${code:0:1}" = "2" ]; then
        give_up "azurite does not check authentication (unsigned list gave $code)"
    fi
    ENDPOINT="http://127.0.0.1:$PORT/$ACCOUNT"
    {
        echo "export TROVE_TEST_AZURITE_ENDPOINT=$ENDPOINT"
        echo "export TROVE_TEST_AZURITE_ACCOUNT=$ACCOUNT"
        echo "export TROVE_TEST_AZURITE_KEY='$KEY'"
        echo "export TROVE_TEST_AZURITE_DSN='azblob://?account=$ACCOUNT&endpoint=$ENDPOINT'"
        echo "export TROVE_TEST_AZURITE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$ENDPOINT;'"
    } >"$ENV_FILE"
    echo "azurite-blob ready on 127.0.0.1:$PORT, account $ACCOUNT ($ENV_FILE)" >&2
}

server_main "$@"
