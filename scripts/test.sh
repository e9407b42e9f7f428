#!/usr/bin/env bash
# The whole test suite: the host, the CLI, the conformance suite against every
# built-in driver, and the drivers' own unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --workspace
# The drivers' shared logic, tested natively (drivers/ is its own workspace).
guest_tests="${CARGO_TARGET_DIR:-$PWD/target}/guest-tests"
(cd drivers && CARGO_TARGET_DIR="$guest_tests" cargo test -p trove-driver-common)
