#!/usr/bin/env bash
# kiln's end-to-end demo: installs what is missing, builds kiln, and trains a
# small convnet on Fashion-MNIST eagerly for one epoch, then tests it.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
tools/build.sh >/dev/null 2>&1 || tools/build.sh
exec /usr/bin/python3 tools/demo.py "$@"
