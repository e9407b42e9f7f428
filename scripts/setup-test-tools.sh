#!/usr/bin/env bash
# What the whole test suite needs beyond a Rust toolchain (scripts/test.sh runs
# this; scripts/quickstart.sh does not need it).
set -euo pipefail
# Command-line tools the tests call: curl (presigned URLs, server readiness),
# openssl (the GCS test's token endpoint verifies JWT signatures with it),
# python3 (venvs for moto, fake-gcs-server, boto3), npm (Azurite, the JS driver),
# rclone (the gateway's rclone test, scripts/gateway-tests.sh; Debian's package).
missing=()
for tool in curl openssl python3 npm rclone; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || { echo "setup: missing ${missing[*]} and no apt-get" >&2; exit 1; }
  pkgs=()
  for tool in "${missing[@]}"; do
    case "$tool" in
      python3) pkgs+=(python3 python3-venv) ;;
      npm) pkgs+=(nodejs npm) ;;
      *) pkgs+=("$tool") ;;
    esac
  done
  echo "setup: installing ${pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
