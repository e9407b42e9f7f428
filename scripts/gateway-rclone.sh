#!/usr/bin/env bash
# rclone against `trove-host serve`: copy, sync and check a tree of small and
# large files up to the gateway and back down, with rclone's defaults for an
# S3 server (provider Other) and with small multipart cut-offs, and fail on
# any "corrupted on transfer" (a digest mismatch rclone reports).
#   scripts/gateway-rclone.sh ENDPOINT WORKDIR
# The gateway's key pair comes from TROVE_GATEWAY_ACCESS_KEY/SECRET_KEY.
set -euo pipefail
ENDPOINT="$1" WORK="$2"
command -v rclone >/dev/null || { echo "gateway-rclone: rclone is not installed (apt-get install rclone)" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK/src/sub/deeper" "$WORK/back"
for i in 1 2 3 4 5; do head -c $((i * 1000 + 7)) /dev/urandom >"$WORK/src/small-$i.txt"; done
head -c 0 /dev/urandom >"$WORK/src/empty.bin"
head -c $((3 << 20)) /dev/urandom >"$WORK/src/sub/medium.bin"
head -c $((23 << 20)) /dev/urandom >"$WORK/src/sub/deeper/large.bin"   # multipart with the cut-offs below
head -c 1234 /dev/urandom >"$WORK/src/sub/deeper/with space & plus+.txt"

# rclone refuses a custom CA bundle from the environment (LoadCustomCABundleError);
# the gateway here is plain http on loopback.
unset AWS_CA_BUNDLE
export RCLONE_CONFIG="$WORK/rclone.conf"
cat >"$RCLONE_CONFIG" <<CONF
[gw]
type = s3
provider = Other
access_key_id = $TROVE_GATEWAY_ACCESS_KEY
secret_access_key = $TROVE_GATEWAY_SECRET_KEY
endpoint = $ENDPOINT
region = us-east-1
CONF
LOG="$WORK/rclone.log"
: >"$LOG"
run() {
    echo "gateway-rclone: rclone $*"
    if ! rclone --retries 1 --low-level-retries 1 -v "$@" >>"$LOG" 2>&1; then
        echo "gateway-rclone: FAILED: rclone $*; log $LOG:" >&2
        tail -20 "$LOG" >&2
        return 1
    fi
}
BUCKET="rclone-$RANDOM"
MP=(--s3-upload-cutoff 5M --s3-chunk-size 5M)
run mkdir "gw:$BUCKET"
run copy "$WORK/src" "gw:$BUCKET/tree" "${MP[@]}"
run check "$WORK/src" "gw:$BUCKET/tree"
# change one file, add one, remove one: sync must carry exactly that
head -c 4321 /dev/urandom >"$WORK/src/small-1.txt"
head -c $((6 << 20)) /dev/urandom >"$WORK/src/sub/added.bin"
rm "$WORK/src/small-5.txt"
run sync "$WORK/src" "gw:$BUCKET/tree" "${MP[@]}"
run check "$WORK/src" "gw:$BUCKET/tree"
run copy "gw:$BUCKET/tree" "$WORK/back"
run check "$WORK/src" "$WORK/back"
run check "$WORK/src" "gw:$BUCKET/tree" --download
run purge "gw:$BUCKET"
if grep -qi "corrupted on transfer\|hashes differ\|Etag differ" "$LOG"; then
    echo "gateway-rclone: FAILED: rclone reported a corrupted transfer; log $LOG:" >&2
    grep -i "corrupted on transfer\|hashes differ\|Etag differ" "$LOG" >&2
    exit 1
fi
echo "gateway-rclone: copy, sync and check of $(find "$WORK/src" -type f | wc -l) files ($(du -sh "$WORK/src" | cut -f1)) passed, no corrupted transfer"
