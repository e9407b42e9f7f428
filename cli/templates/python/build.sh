#!/usr/bin/env bash
# Builds this driver into a component with componentize-py (installed the first
# time into a venv under ${TROVE_TOOLS_DIR:-~/.cache/trove-host/tools}) and
# prints the path of the .wasm as its last line:
#   trove-host conformance "$(./build.sh)" --dsn {{name}}://
set -euo pipefail
cd "$(dirname "$0")"
VERSION=0.25.1
TOOLS="${TROVE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/trove-host/tools}"
VENV="$TOOLS/componentize-py-$VERSION"
command -v python3 >/dev/null || { echo "build.sh: python3 (3.10 or newer, with venv) is needed" >&2; exit 1; }
if [ ! -x "$VENV/bin/componentize-py" ]; then
    echo "build.sh: installing componentize-py $VERSION into $VENV" >&2
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install --quiet "componentize-py==$VERSION" >&2
fi
mkdir -p build
"$VENV/bin/componentize-py" -d .trove/wit -w trove:driver/mem-driver@0.2.0 \
    componentize app -p . -p .trove/drivers-py/trove_driver -o build/{{crate}}.wasm >&2
echo "$PWD/build/{{crate}}.wasm"
