#!/usr/bin/env bash
# Runs every kiln test: C++ (GoogleTest, also under AddressSanitizer + UBSan)
# and Python (pytest). Installs and builds what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
tools/build.sh

echo "== C++ tests"
bazel test //... 
echo "== C++ tests under ASan + UBSan"
bazel test --config=asan //kernels/... //imperative/...
echo "== Python tests"
cd tests/python && /usr/bin/python3 -m pytest -q -p no:cacheprovider .
