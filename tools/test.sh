#!/usr/bin/env bash
# Runs every kiln test: C++ (GoogleTest; also under AddressSanitizer + UBSan),
# the model-reader fuzzer for a bounded time, and Python (pytest). Installs
# and builds what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
tools/build.sh

echo "== C++ tests"
bazel test //...
echo "== C++ tests under ASan + UBSan"
bazel test --config=asan //kernels/... //imperative/... //graph/... //serialization/... //tools/...
echo "== libFuzzer on the model reader (${KILN_FUZZ_SECONDS:-60} s)"
tools/fuzz.sh "${KILN_FUZZ_SECONDS:-60}"
echo "== Python tests"
cd tests/python && /usr/bin/python3 -m pytest -q -p no:cacheprovider .
