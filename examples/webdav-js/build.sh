#!/usr/bin/env bash
# Builds the WebDAV driver into a component and prints the path of the .wasm as its
# last line:
#   1. installs componentize-js and esbuild once, with npm, under
#      ${TROVE_TOOLS_DIR:-~/.cache/trove-host/tools};
#   2. installs this driver's dependency, the trove-driver package (npm, from
#      drivers-js/trove-driver in this repository);
#   3. bundles app.js and trove-driver into one ES module (componentize-js takes one);
#   4. componentizes it for the world in wit/world.wit;
#   5. declares the driver's grant, HTTP to the DSN's endpoint, with
#      `trove-host grants set` ($TROVE_HOST, else trove-host on the PATH).
# The build goes to ${TROVE_BUILD_DIR:-build} here.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WIT="$ROOT/wit" # the trove:driver contract
OUT="${TROVE_BUILD_DIR:-$HERE/build}"
TOOLS="${TROVE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/trove-host/tools}"
COMPONENTIZE_JS_VERSION=0.23.0
ESBUILD_VERSION=0.28.2
TROVE_HOST="${TROVE_HOST:-trove-host}"
for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool is needed (Node.js 20 or newer)" >&2; exit 1; }
done
command -v "$TROVE_HOST" >/dev/null || { echo "build.sh: trove-host is needed (or TROVE_HOST=/path/to/trove-host)" >&2; exit 1; }

# An npm package installed once into DIR; prints the path of its command BIN.
tool() {
    local dir="$1" package="$2" bin="$3"
    if [ ! -x "$dir/node_modules/.bin/$bin" ]; then
        echo "build.sh: installing $package into $dir" >&2
        mkdir -p "$dir"
        [ -f "$dir/package.json" ] || echo '{"name":"trove-tools","private":true}' >"$dir/package.json"
        (cd "$dir" && npm install --silent --no-audit --no-fund "$package" >&2)
    fi
    echo "$dir/node_modules/.bin/$bin"
}
COMPONENTIZE_JS="$(tool "$TOOLS/componentize-js-$COMPONENTIZE_JS_VERSION" \
    "@bytecodealliance/componentize-js@$COMPONENTIZE_JS_VERSION" componentize-js)"
ESBUILD="$(tool "$TOOLS/esbuild-$ESBUILD_VERSION" "esbuild@$ESBUILD_VERSION" esbuild)"

(cd "$HERE" && npm install --silent --no-audit --no-fund --no-package-lock >&2)

# The world's WIT folder: wit/world.wit, with the contract and its WASI packages as
# dependencies.
rm -rf "$OUT/wit"
mkdir -p "$OUT/wit/deps/trove-driver"
cp "$HERE/wit/world.wit" "$OUT/wit/"
cp "$WIT"/*.wit "$OUT/wit/deps/trove-driver/"
cp -r "$WIT"/deps/* "$OUT/wit/deps/"

# The host's interfaces (trove:…, wasi:…) stay imports; everything else is bundled.
"$ESBUILD" "$HERE/app.js" --bundle --format=esm --platform=neutral --log-level=warning \
    --external:'trove:*' --external:'wasi:*' --outfile="$OUT/bundle.js" >&2
# -d http -d fetch-event: without them the component imports wasi:http.
(cd "$OUT" && "$COMPONENTIZE_JS" bundle.js --wit wit --world-name trove:example-webdav-js/webdav-js-driver \
    -d http -d fetch-event -o webdav_js.wasm >&2)
# componentize-js cannot write the trove:grants section itself.
"$TROVE_HOST" grants set "$OUT/webdav_js.wasm" --http '{endpoint}' >&2
echo "$OUT/webdav_js.wasm"
