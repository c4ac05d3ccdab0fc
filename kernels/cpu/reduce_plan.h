// The loop plan of a CPU reduction over a contiguous input: size-1 axes are
// dropped and neighbouring axes of one kind (kept or reduced) merged, giving
// alternating groups. The trailing group is `row` (reduced: the rows loop)
// or `inner` (kept: the columns loop); the other kept groups index output
// rows (outer_*), the other reduced groups are walked as combinations
// (red_*). Strides are in elements of the input.
#pragma once

#include <cstdint>

#include "kernels/core/shape.h"
#include "kernels/ops/reduce.h"

namespace kiln {
namespace cpu {

struct ReducePlan {
  int64_t count = 1;  // reduced elements per output element
  int n_outer = 0, n_red = 0;
  int64_t outer_shape[kMaxRank], outer_stride[kMaxRank];  // kept groups but a trailing one
  int64_t red_shape[kMaxRank], red_stride[kMaxRank];      // reduced groups but a trailing one
  int64_t row = 1, inner = 1;                             // trailing reduced / kept group
  bool columns = false;
  int64_t outer_offset(int64_t o) const {
    int64_t off = 0;
    for (int d = n_outer - 1; d >= 0; --d) {
      off += (o % outer_shape[d]) * outer_stride[d];
      o /= outer_shape[d];
    }
    return off;
  }
  // fn(offset) for every combination of the first `dims` reduced groups.
  template <typename Fn>
  void for_each_combo(int dims, Fn&& fn) const {
    int64_t idx[kMaxRank] = {}, off = 0;
    while (true) {
      fn(off);
      int d = dims - 1;
      for (; d >= 0; --d) {
        off += red_stride[d];
        if (++idx[d] < red_shape[d]) break;
        off -= red_stride[d] * red_shape[d];
        idx[d] = 0;
      }
      if (d < 0) return;
    }
  }
  int64_t combos() const {
    int64_t n = 1;
    for (int d = 0; d < n_red; ++d) n *= red_shape[d];
    return n;
  }
};

inline ReducePlan make_reduce_plan(const Shape& shape, const ReduceAxes& axes) {
  ReducePlan p;
  p.count = axes.count;
  int64_t size[kMaxRank], stride[kMaxRank];
  bool red[kMaxRank];
  int n = 0;
  for (int d = 0; d < shape.rank(); ++d) {
    if (shape[d] == 1) continue;
    if (n > 0 && red[n - 1] == axes.reduced[d]) {
      size[n - 1] *= shape[d];
    } else {
      size[n] = shape[d];
      red[n++] = axes.reduced[d];
    }
  }
  for (int g = n - 1; g >= 0; --g) stride[g] = g == n - 1 ? 1 : stride[g + 1] * size[g + 1];
  if (n > 0) {
    p.columns = !red[n - 1];
    (p.columns ? p.inner : p.row) = size[--n];
  }
  for (int g = 0; g < n; ++g) {
    if (red[g]) {
      p.red_shape[p.n_red] = size[g];
      p.red_stride[p.n_red++] = stride[g];
    } else {
      p.outer_shape[p.n_outer] = size[g];
      p.outer_stride[p.n_outer++] = stride[g];
    }
  }
  return p;
}

}  // namespace cpu
}  // namespace kiln
