// Addressing for the CPU gather/scatter kernels: the index's shape viewed as
// [outer, n, inner] around the axis (Space), and how a contiguous tensor of
// another shape, no smaller outside the axis, is addressed by it (Addr): its
// dims before/after the axis are "flat" when they equal the index's, so
// offsets need no division.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/core/shape.h"

namespace kiln {
namespace cpu {

struct Space {  // the index's shape around the axis
  int axis = 0, rank = 0;
  int64_t shape[kMaxRank];
  int64_t outer = 1, n = 1, inner = 1;
  Space(const Shape& index, int ax) : axis(ax), rank(index.rank()) {
    for (int d = 0; d < rank; ++d) {
      shape[d] = index[d];
      (d < axis ? outer : d > axis ? inner : n) *= index[d];
    }
  }
  // Pieces of inner for tasks that must keep k serial.
  int64_t piece() const { return outer >= 8 ? inner : std::max<int64_t>(64, (inner + 7) / 8); }
};

struct Addr {  // a contiguous tensor addressed by the index space
  int64_t stride[kMaxRank];
  int64_t axis_stride = 0, axis_size = 0, outer_step = 0;
  bool flat = true, outer_flat = true;  // dims after / before the axis equal the index's
  Addr(const Space& s, const Shape& t) {
    const Strides st = contiguous_strides(t);
    for (int d = 0; d < t.rank(); ++d) {
      stride[d] = st[d];
      if (d > s.axis && t[d] != s.shape[d]) flat = false;
      if (d < s.axis && t[d] != s.shape[d]) outer_flat = false;
    }
    axis_stride = st[s.axis];
    axis_size = t[s.axis];
    outer_step = axis_size * axis_stride;
  }
  int64_t outer_offset(const Space& s, int64_t o) const {
    if (outer_flat) return o * outer_step;
    int64_t off = 0;
    for (int d = s.axis - 1; d >= 0; --d) {
      off += (o % s.shape[d]) * stride[d];
      o /= s.shape[d];
    }
    return off;
  }
  int64_t inner_offset(const Space& s, int64_t j) const {
    if (flat) return j;
    int64_t off = 0;
    for (int d = s.rank - 1; d > s.axis; --d) {
      off += (j % s.shape[d]) * stride[d];
      j /= s.shape[d];
    }
    return off;
  }
};

}  // namespace cpu
}  // namespace kiln
