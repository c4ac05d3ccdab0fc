#!/usr/bin/env bash
# Builds kiln, puts kiln-run on PATH and makes `import kiln` work in
# /usr/bin/python3 from any directory: a development install (as `pip install -e`) whose .pth file
# points at python/, next to which the built extension is copied.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

bazel build //python:_C.so //tools:kiln-run //tools:example_runtime "$@"
install -m 755 bazel-bin/python/_C.so python/kiln/_C.so
# kiln-run on PATH, as `import kiln` is in Python.
install -m 755 bazel-bin/tools/kiln-run /usr/local/bin/kiln-run

SITE=$(/usr/bin/python3 -c 'import site; print(site.getsitepackages()[0])')
PTH="$SITE/kiln-dev.pth"
if [ ! -f "$PTH" ] || [ "$(cat "$PTH")" != "$ROOT/python" ]; then
  mkdir -p "$SITE"
  echo "$ROOT/python" > "$PTH"
fi
