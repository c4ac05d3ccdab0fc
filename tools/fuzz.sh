#!/usr/bin/env bash
# Builds the model reader's libFuzzer target with clang outside Bazel
# (-fsanitize=fuzzer,address,undefined) and runs it for a bounded time on the
# seed corpus of small valid models (serialization/fuzz/corpus/).
#
#   tools/fuzz.sh [SECONDS]        # default 60; CI runs it as is
#
# Objects are cached per checkout in $KILN_FUZZ_BUILD/<hash of the checkout's
# path>/ (default /tmp/kiln-fuzz-build), so a second run in one checkout only
# recompiles what changed, and no checkout links another's objects (make
# judges them by time stamps alone). New inputs the fuzzer finds go to
# $KILN_FUZZ_BUILD/corpus (not committed); crashes to $KILN_FUZZ_BUILD/artifacts.
# Exit status: 0 when the run found nothing, non-zero otherwise.
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${KILN_FUZZ_BUILD:-/tmp/kiln-fuzz-build}"
cache="$build/$(printf %s "$root" | md5sum | cut -c1-12)"
jobs="${KILN_FUZZ_JOBS:-$(nproc)}"
cxx=/usr/bin/clang++
mkdir -p "$cache/gen/serialization" "$cache/objects" "$build/corpus" "$build/artifacts"

# The generated header, as the Bazel genrule makes it.
if [[ ! -f "$cache/gen/serialization/kiln_generated.h" ||
      "$root/serialization/kiln.fbs" -nt "$cache/gen/serialization/kiln_generated.h" ]]; then
  /usr/bin/flatc --cpp --scoped-enums -o "$cache/gen/serialization" "$root/serialization/kiln.fbs"
fi

# The reader and everything it links: the graph and kernel libraries (the op
# table registers every kernel), without tests.
cd "$root"
sources=$(ls kernels/core/*.cc kernels/*.cc kernels/ops/*.cc kernels/cpu/*.cc \
             kernels/reference/*.cc graph/*.cc graph/passes/*.cc serialization/*.cc \
             serialization/fuzz/read_model_fuzzer.cc 2>/dev/null | grep -v '_test\.cc$')

flags="-std=c++17 -DFLATBUFFERS_MAX_ALIGNMENT=64 -O1 -g -fno-omit-frame-pointer -fopenmp -fno-math-errno \
  -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
  -I. -I$cache/gen -w"

# A makefile, so that only changed sources (or sources whose headers changed)
# are recompiled, in parallel.
{
  echo "FLAGS := $flags"
  objs=""
  for src in $sources; do
    obj="$cache/objects/${src//\//__}.o"
    objs="$objs $obj"
    printf '%s: %s\n\t%s $(FLAGS) -MMD -MP -c %s -o %s\n' "$obj" "$src" "$cxx" "$src" "$obj"
  done
  echo "$cache/read_model_fuzzer:$objs"
  printf '\t%s -fsanitize=fuzzer,address,undefined -fopenmp %s -o %s -ldnnl -lflatbuffers -Wl,-rpath,/usr/lib/llvm-14/lib\n' \
    "$cxx" "$objs" "$cache/read_model_fuzzer"
  echo "-include $cache/objects/*.d"
} > "$cache/Makefile"
make -s -j"$jobs" -f "$cache/Makefile" "$cache/read_model_fuzzer"

echo "fuzz: running read_model_fuzzer for ${seconds}s on serialization/fuzz/corpus"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export OMP_NUM_THREADS=1
"$cache/read_model_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=16384 -print_final_stats=1 -artifact_prefix="$build/artifacts/" \
  "$build/corpus" "$root/serialization/fuzz/corpus"
