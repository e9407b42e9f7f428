#!/usr/bin/env bash
# The whole test suite: the host, the CLI, the conformance suite against every
# driver (each server-backed driver against a real server on loopback), and
# the drivers' own unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/setup-test-tools.sh   # curl, openssl, python3, npm (apt-get where missing)
scripts/build-other-drivers.sh   # the Python and JavaScript drivers (cli/tests/other_languages.rs)
examples/webdav/build.sh >/dev/null   # the third-party example (cli/tests/third_party.rs)

# The sandbox tests need a name other than `localhost` that resolves to a
# loopback address (a driver must not reach it through DNS): add one if the
# machine has none.
if ! awk '$1 ~ /^127\./ { for (i = 2; i <= NF; i++) if ($i != "localhost" && $i !~ /^ip6-/) found = 1 } END { exit !found }' /etc/hosts; then
  if [ -w /etc/hosts ]; then
    echo "127.0.0.1 trove-loopback-test" >> /etc/hosts
  else
    echo "test.sh: /etc/hosts maps no name but localhost to 127.0.0.1; add '127.0.0.1 trove-loopback-test' (as root)" >&2
  fi
fi

# Start every test server (scripts/servers/*.sh) and export what they print.
export TROVE_SERVERS_DIR="${TROVE_SERVERS_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/test-servers}"
mkdir -p "$TROVE_SERVERS_DIR"
servers=()
stop_servers() {
  for s in "${servers[@]}"; do "$s" stop || true; done
}
trap stop_servers EXIT
for s in scripts/servers/*.sh; do
  [ -e "$s" ] || continue
  name="$(basename "$s" .sh)"
  echo "test.sh: starting $name ($s)"
  "$s" start
  servers+=("$s")
  # shellcheck disable=SC1090
  source "$TROVE_SERVERS_DIR/$name.env"
done

cargo test --workspace
scripts/gateway-tests.sh   # boto3 against `trove-host serve` (mem, file), and the s3 driver through it
# The drivers' shared logic, tested natively (drivers/ is its own workspace).
guest_tests="${CARGO_TARGET_DIR:-$PWD/target}/guest-tests"
(cd drivers && CARGO_TARGET_DIR="$guest_tests" cargo test -p trove-driver-common --all-features)
(cd drivers && CARGO_TARGET_DIR="$guest_tests" cargo test -p trove-driver-s3 -p trove-driver-gs -p trove-driver-azblob --lib)
(cd drivers && CARGO_TARGET_DIR="$guest_tests" cargo test -p trove-driver-cloud -p trove-driver --lib)
# The helper packages of the Python and JavaScript drivers, on their own.
python3 -m unittest discover -s drivers-py/trove_driver/tests -t drivers-py/trove_driver
node --test drivers-js/trove-driver/test/*.test.js
