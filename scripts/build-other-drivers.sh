#!/usr/bin/env bash
# Builds the drivers written in other languages from source:
#   drivers-py/mem/app.py -> $OUT/mem_py.wasm   (componentize-py 0.25.1, in a venv;
#                                                 with the drivers-py/trove_driver package)
#   drivers-js/mem/app.js -> $OUT/mem_js.wasm   (@bytecodealliance/componentize-js, in node_modules;
#                                                 with the drivers-js/trove-driver package)
# OUT is ${CARGO_TARGET_DIR:-target}/other-drivers; the tools are installed there too,
# never globally. Needs python3 (with venv), node and npm, and network access to PyPI
# and npm the first time. A driver is rebuilt only when its source or the WIT changed.
#
#   scripts/build-other-drivers.sh          # both
#   scripts/build-other-drivers.sh py       # one of them: py | js
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/other-drivers"
mkdir -p "$OUT"
WORLD="trove:driver/mem-driver@0.2.0"
COMPONENTIZE_PY_VERSION="0.25.1"
COMPONENTIZE_JS_VERSION="0.23.0"
which="${1:-all}"

# True when $1 is missing or older than any of the other arguments (files or folders).
stale() {
  local out="$1"
  shift
  [ -e "$out" ] || return 0
  [ -n "$(find "$@" -newer "$out" -print -quit)" ]
}

need() {
  command -v "$1" >/dev/null || {
    echo "build-other-drivers: $1 is needed ($2)" >&2
    exit 1
  }
}

build_py() {
  need python3 "for the Python driver"
  local venv="$OUT/venv"
  if [ ! -x "$venv/bin/componentize-py" ] ||
    [ "$("$venv/bin/componentize-py" --version 2>/dev/null | awk '{print $2}')" != "$COMPONENTIZE_PY_VERSION" ]; then
    echo "build-other-drivers: installing componentize-py $COMPONENTIZE_PY_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "componentize-py==$COMPONENTIZE_PY_VERSION"
  fi
  if stale "$OUT/mem_py.wasm" drivers-py/mem drivers-py/trove_driver wit; then
    echo "build-other-drivers: building $OUT/mem_py.wasm"
    # -p: the module search path, the driver's folder and the one holding the
    # trove_driver package (naming any -p drops the default `.`, so it is named too).
    (cd drivers-py/mem &&
      "$venv/bin/componentize-py" -d "$ROOT/wit" -w "$WORLD" componentize app \
        -p . -p "$ROOT/drivers-py/trove_driver" -o "$OUT/mem_py.wasm.tmp")
    mv "$OUT/mem_py.wasm.tmp" "$OUT/mem_py.wasm"
  fi
  echo "build-other-drivers: $OUT/mem_py.wasm"
}

build_js() {
  need node "for the JavaScript driver"
  need npm "for the JavaScript driver"
  local js="$OUT/js"
  local bin="$js/node_modules/.bin/componentize-js"
  if [ ! -x "$bin" ] || ! grep -q "\"version\": \"$COMPONENTIZE_JS_VERSION\"" \
    "$js/node_modules/@bytecodealliance/componentize-js/package.json" 2>/dev/null; then
    echo "build-other-drivers: installing @bytecodealliance/componentize-js@$COMPONENTIZE_JS_VERSION into $js"
    mkdir -p "$js"
    [ -f "$js/package.json" ] || echo '{"name":"trove-other-drivers","private":true}' >"$js/package.json"
    (cd "$js" && npm install --silent --no-audit --no-fund "@bytecodealliance/componentize-js@$COMPONENTIZE_JS_VERSION")
  fi
  if stale "$OUT/mem_js.wasm" drivers-js/mem drivers-js/trove-driver wit; then
    echo "build-other-drivers: building $OUT/mem_js.wasm"
    # -d http -d fetch-event: without them the component imports wasi:http.
    # Run from drivers-js/: componentize-js resolves relative imports inside the
    # folder it runs in, and app.js imports ../trove-driver/index.js.
    (cd drivers-js &&
      "$bin" mem/app.js --wit "$ROOT/wit" --world-name "$WORLD" -d http -d fetch-event -o "$OUT/mem_js.wasm.tmp")
    mv "$OUT/mem_js.wasm.tmp" "$OUT/mem_js.wasm"
  fi
  echo "build-other-drivers: $OUT/mem_js.wasm"
}

case "$which" in
  py) build_py ;;
  js) build_js ;;
  all) build_py && build_js ;;
  *)
    echo "usage: $0 [py|js]" >&2
    exit 2
    ;;
esac
