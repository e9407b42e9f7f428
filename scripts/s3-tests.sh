#!/usr/bin/env bash
# ceph/s3-tests (the S3 compatibility suite SeaweedFS, RustFS, s3s and Ceph run),
# unmodified, against `trove-host serve` over the mem driver and over the file
# driver: s3tests/functional/test_s3.py and test_headers.py.
#
# The suite is vendored at a pinned commit in third_party/ceph-s3-tests (see its
# PINNED file); it runs in a venv with its own requirements.txt. Every user in
# s3tests.conf (main, alt, tenant, iam, ...) gets the gateway's one key pair.
# Results are sorted into families by scripts/s3-tests/families.py; the
# "target" family is what the gateway claims (no ACLs, policy, SigV2,
# anonymous access, second user, versioning, ...).
#
#   scripts/s3-tests.sh [mem|file ...] [-- PYTEST_ARGS...]
# Not part of CI (12-18 minutes per driver); reports under $TARGET/s3-tests.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET/venv-s3-tests"
WORK="$TARGET/s3-tests"
SUITE="$ROOT/third_party/ceph-s3-tests"
BIN="${TROVE_HOST_BIN:-$TARGET/debug/trove-host}"

drivers=()
while [ $# -gt 0 ]; do
    case "$1" in
        --) shift; break ;;
        *) drivers+=("$1"); shift ;;
    esac
done
[ ${#drivers[@]} -gt 0 ] || drivers=(mem file)

LABEL=s3-tests
# shellcheck source=lib/serve.bash
source scripts/lib/serve.bash
ensure_venv "$VENV" "boto3, pytest, munch, gevent, isodate, pytz, httplib2, lxml, dateutil" \
    -r "$SUITE/requirements.txt"
build_host

rm -rf "$WORK" && mkdir -p "$WORK"
new_keys s3tests
AK="$TROVE_GATEWAY_ACCESS_KEY" SK="$TROVE_GATEWAY_SECRET_KEY"
trap stop_server EXIT

write_conf() { # write_conf PORT FILE
    local user
    {
        printf '[DEFAULT]\nhost = 127.0.0.1\nport = %s\nis_secure = False\nssl_verify = False\n\n' "$1"
        printf '[fixtures]\nbucket prefix = s3t-{random}-\n\n'
        for user in "s3 main" "s3 alt" "s3 tenant" "iam" "iam root" "iam alt root"; do
            printf '[%s]\ndisplay_name = %s\nuser_id = %s\nemail = %s@example.com\n' \
                "$user" "trove" "trove" "trove"
            printf 'access_key = %s\nsecret_key = %s\n' "$AK" "$SK"
            [ "$user" = "s3 tenant" ] && printf 'tenant = trove\n'
            printf '\n'
        done
    } >"$2"
}

for driver in "${drivers[@]}"; do
    case "$driver" in
        mem) dsn="mem://" ;;
        file) dsn="file://$WORK/file-store"; mkdir -p "$WORK/file-store" ;;
        *) echo "s3-tests: unknown driver $driver (mem or file)" >&2; exit 2 ;;
    esac
    start_server "$driver" "$dsn"
    write_conf "${ENDPOINT##*:}" "$WORK/$driver.conf"
    start=$(date +%s)
    (cd "$SUITE" && S3TEST_CONF="$WORK/$driver.conf" "$VENV/bin/python" -m pytest -q \
        -p no:cacheprovider --junitxml="$WORK/$driver.xml" -o junit_family=xunit1 \
        s3tests/functional/test_s3.py s3tests/functional/test_headers.py "$@" \
        >"$WORK/$driver.pytest" 2>&1) || true
    echo "s3-tests: $driver: pytest took $(( $(date +%s) - start )) s ($WORK/$driver.pytest)"
    stop_server
    "$VENV/bin/python" scripts/s3-tests/families.py "$WORK/$driver.xml" --failures | tee "$WORK/$driver.report"
done
