#!/usr/bin/env bash
# Installs kiln's build, test and demo dependencies from Debian's packages.
# Idempotent and quiet when everything is already present.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-rules-java bazel-platforms bazel-skylib
  g++ libdnnl-dev libflatbuffers-dev flatbuffers-compiler python3-flatbuffers
  pybind11-dev python3-pybind11 python3-dev python3-numpy python3-pytest
  libgtest-dev python3-tqdm dataset-fashion-mnist python3-torch
  clang libclang-rt-14-dev
  # PyTorch is a test oracle and benchmark peer; OpenBLAS gives it a fast matmul.
  libopenblas0-openmp
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
