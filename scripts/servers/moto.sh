#!/usr/bin/env bash
# moto_server with SigV4 enforced (see README.md for the convention).
#   scripts/servers/moto.sh start|stop
# moto checks no signature unless INITIAL_NO_AUTH_ACTION_COUNT is set: the
# first N requests (here: an IAM user, an allow-all policy, its attachment
# and an access key) are free, every later one must be signed by that key.
# Writes $TROVE_SERVERS_DIR/moto.env: TROVE_TEST_MOTO_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _DSN.
set -euo pipefail
NAME=moto
# shellcheck source=lib.bash
source "$(dirname "$0")/lib.bash"
VENV="$STATE/venv"

start() {
    if [ ! -x "$VENV/bin/moto_server" ]; then
        echo "moto.sh: installing moto[server] into $VENV" >&2
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q 'moto[server]' >&2
    fi
    PORT="$(free_port)"
    INITIAL_NO_AUTH_ACTION_COUNT=4 launch "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT"
    wait_for "moto_server on port $PORT" curl -sf -o /dev/null "http://127.0.0.1:$PORT/moto-api/"
    # The four free actions: user, policy, attachment, access key.
    KEYS="$("$VENV/bin/python" - "$PORT" <<'PY'
import json, sys, boto3
port = sys.argv[1]
iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="trove")
policy = iam.create_policy(PolicyName="trove-all", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
iam.attach_user_policy(UserName="trove", PolicyArn=policy["Policy"]["Arn"])
k = iam.create_access_key(UserName="trove")["AccessKey"]
print(k["AccessKeyId"], k["SecretAccessKey"])
PY
)"
    AK="${KEYS%% *}"
    SK="${KEYS#* }"
    # SigV4 must now be enforced: an unsigned request is refused.
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")"
    if [ "${code:0:1}" = "2" ]; then
        echo "moto.sh: moto_server does not enforce signatures (unsigned GET / gave $code)" >&2
        stop
        exit 1
    fi
    {
        echo "export TROVE_TEST_MOTO_ENDPOINT=http://127.0.0.1:$PORT"
        echo "export TROVE_TEST_MOTO_ACCESS_KEY=$AK"
        echo "export TROVE_TEST_MOTO_SECRET_KEY=$SK"
        echo "export TROVE_TEST_MOTO_DSN='s3://?region=us-east-1&endpoint=http://127.0.0.1:$PORT&path_style=true'"
    } >"$ENV_FILE"
    echo "moto_server ready on 127.0.0.1:$PORT, SigV4 enforced ($ENV_FILE)" >&2
}

server_main "$@"
