#!/usr/bin/env bash
# The whole test suite: the host, the CLI, the conformance suite against every
# driver (each server-backed driver against a real server on loopback), and
# the drivers' own unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

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
# The drivers' shared logic, tested natively (drivers/ is its own workspace).
guest_tests="${CARGO_TARGET_DIR:-$PWD/target}/guest-tests"
(cd drivers && CARGO_TARGET_DIR="$guest_tests" cargo test -p trove-driver-common)
