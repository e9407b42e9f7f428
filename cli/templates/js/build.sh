#!/usr/bin/env bash
# Builds this driver into a component with componentize-js (installed the first
# time with npm under ${TROVE_TOOLS_DIR:-~/.cache/trove-host/tools}) and prints
# the path of the .wasm as its last line:
#   trove-host conformance "$(./build.sh)" --dsn {{name}}://
set -euo pipefail
cd "$(dirname "$0")"
VERSION=0.23.0
TOOLS="${TROVE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/trove-host/tools}"
JS="$TOOLS/componentize-js-$VERSION"
BIN="$JS/node_modules/.bin/componentize-js"
for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool is needed (Node.js 20 or newer)" >&2; exit 1; }
done
if [ ! -x "$BIN" ]; then
    echo "build.sh: installing @bytecodealliance/componentize-js@$VERSION into $JS" >&2
    mkdir -p "$JS"
    [ -f "$JS/package.json" ] || echo '{"name":"trove-tools","private":true}' >"$JS/package.json"
    (cd "$JS" && npm install --silent --no-audit --no-fund "@bytecodealliance/componentize-js@$VERSION" >&2)
fi
mkdir -p build
# -d http -d fetch-event: without them the component imports wasi:http.
"$BIN" app.js --wit .trove/wit --world-name trove:driver/mem-driver@0.2.0 \
    -d http -d fetch-event -o build/{{crate}}.wasm >&2
echo "$PWD/build/{{crate}}.wasm"
