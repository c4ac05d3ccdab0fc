#!/usr/bin/env bash
# Builds kiln and makes `import kiln` work in /usr/bin/python3 from any
# directory: a development install (as `pip install -e`) whose .pth file
# points at python/, next to which the built extension is copied.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

bazel build //python:_C.so "$@"
install -m 755 bazel-bin/python/_C.so python/kiln/_C.so

SITE=$(/usr/bin/python3 -c 'import site; print(site.getsitepackages()[0])')
PTH="$SITE/kiln-dev.pth"
if [ ! -f "$PTH" ] || [ "$(cat "$PTH")" != "$ROOT/python" ]; then
  mkdir -p "$SITE"
  echo "$ROOT/python" > "$PTH"
fi
