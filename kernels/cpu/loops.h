// Strided N-d iteration for CPU kernels: dims are coalesced where every
// operand is contiguous across them, the outer rows are split across OpenMP
// threads, and the callback gets one inner row at a time.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "kernels/core/tensor.h"
#include "kernels/cpu/parallel.h"

namespace kiln {
namespace cpu {

template <int N>
struct StridedLoop {
  int rank = 0;
  int64_t shape[kMaxRank];
  int64_t strides[N][kMaxRank];  // elements; operand 0 is usually the output

  StridedLoop(const Shape& s, const std::array<const Strides*, N>& operand_strides) {
    for (int d = 0; d < s.rank(); ++d) {
      if (s[d] == 1) continue;  // size-1 dims never move a pointer
      const bool merge = rank > 0 && [&] {
        for (int k = 0; k < N; ++k)
          if (strides[k][rank - 1] != (*operand_strides[k])[d] * s[d]) return false;
        return true;
      }();
      if (merge) {
        shape[rank - 1] *= s[d];
        for (int k = 0; k < N; ++k) strides[k][rank - 1] = (*operand_strides[k])[d];
      } else {
        shape[rank] = s[d];
        for (int k = 0; k < N; ++k) strides[k][rank] = (*operand_strides[k])[d];
        ++rank;
      }
    }
    if (rank == 0) {  // a scalar, or all dims of size 1
      shape[0] = 1;
      for (int k = 0; k < N; ++k) strides[k][0] = 0;
      rank = 1;
    }
  }

  // fn(const int64_t* offsets, int64_t n, const int64_t* inner_strides) per
  // row piece; long rows are cut into pieces so that few rows still spread.
  template <typename Fn>
  void run(int64_t numel, Fn&& fn) const {
    if (numel == 0) return;
    const int64_t inner = shape[rank - 1];
    const int64_t rows = numel / inner;
    const int64_t piece = rows >= 8 ? inner : std::max<int64_t>(4096, (inner + 7) / 8);
    const int64_t pieces = (inner + piece - 1) / piece;
    int64_t inner_strides[N];
    for (int k = 0; k < N; ++k) inner_strides[k] = strides[k][rank - 1];
    parallel_for(rows * pieces, numel >= kParallelGrain && rows * pieces > 1, [&](int64_t task) {
      const int64_t row = task / pieces, start = (task % pieces) * piece;
      int64_t offsets[N] = {};
      int64_t rest = row;
      for (int d = rank - 2; d >= 0; --d) {
        const int64_t i = rest % shape[d];
        rest /= shape[d];
        for (int k = 0; k < N; ++k) offsets[k] += i * strides[k][d];
      }
      for (int k = 0; k < N; ++k) offsets[k] += start * inner_strides[k];
      fn(offsets, std::min(piece, inner - start), inner_strides);
    });
  }
};

}  // namespace cpu
}  // namespace kiln
