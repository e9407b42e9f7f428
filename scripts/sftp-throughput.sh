#!/usr/bin/env bash
# Throughput of the sftp driver against OpenSSH's own `sftp` client: a 256 MiB put
# and get on the same file and the same sshd (scripts/servers/sshd.sh).
#
#   TROVE_SERVERS_DIR=... scripts/servers/sshd.sh start
#   scripts/sftp-throughput.sh [SIZE_MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-256}"
export TROVE_SERVERS_DIR="${TROVE_SERVERS_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/test-servers}"
env_file="$TROVE_SERVERS_DIR/sshd.env"
[ -f "$env_file" ] || { echo "no $env_file: run scripts/servers/sshd.sh start" >&2; exit 1; }
# shellcheck disable=SC1090
source "$env_file"
cargo build --release -p trove-cli >&2
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/trove-host"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c $((size_mib << 20)) /dev/urandom >"$work/src"
port=$(cat "$TROVE_SERVERS_DIR/sshd/port")
remote_dir="${TROVE_TEST_SFTP_DSN#*127.0.0.1:$port}/throughput"
flags=(--identity "$TROVE_TEST_SFTP_IDENTITY" --known-hosts "$TROVE_TEST_SFTP_KNOWN_HOSTS" --dsn "${TROVE_TEST_SFTP_DSN%/*}/$(basename "$TROVE_TEST_SFTP_DSN")-bench")
sftp_cmd=(sftp -q -b - -i "$TROVE_TEST_SFTP_IDENTITY" -o "UserKnownHostsFile=$TROVE_TEST_SFTP_KNOWN_HOSTS" -o StrictHostKeyChecking=yes -P "$port" root@127.0.0.1)

now() { date +%s.%N; }
rate() { awk -v s="$size_mib" -v t="$1" 'BEGIN { printf "%6.2f s  %7.1f MiB/s", t, s / t }'; }

"$bin" mb bench "${flags[@]}" >/dev/null 2>&1 || true
"$bin" ping "${flags[@]}" >/dev/null   # compile cache warm, session works
printf 'mkdir %s\n' "$remote_dir" | "${sftp_cmd[@]}" >/dev/null 2>&1 || true

t0=$(now); "$bin" put bench big "$work/src" "${flags[@]}" >/dev/null; t1=$(now)
"$bin" get bench big "$work/dst" "${flags[@]}"; t2=$(now)
cmp "$work/src" "$work/dst"
rm -f "$work/dst"
t3=$(now); printf 'put %s %s/big\n' "$work/src" "$remote_dir" | "${sftp_cmd[@]}" >/dev/null; t4=$(now)
printf 'get %s/big %s\n' "$remote_dir" "$work/dst" | "${sftp_cmd[@]}" >/dev/null; t5=$(now)
cmp "$work/src" "$work/dst"

sub() { awk -v a="$1" -v b="$2" 'BEGIN { print a - b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
tp=$(sub "$t1" "$t0"); tg=$(sub "$t2" "$t1"); sp=$(sub "$t4" "$t3"); sg=$(sub "$t5" "$t4")
echo "${size_mib} MiB over loopback sshd (each figure includes process start and login):"
echo "  trove-host put: $(rate "$tp")    OpenSSH sftp put: $(rate "$sp")    trove/sftp speed: $(ratio "$sp" "$tp")"
echo "  trove-host get: $(rate "$tg")    OpenSSH sftp get: $(rate "$sg")    trove/sftp speed: $(ratio "$sg" "$tg")"
"$bin" rm bench big "${flags[@]}" >/dev/null
printf 'rm %s/big\n' "$remote_dir" | "${sftp_cmd[@]}" >/dev/null
