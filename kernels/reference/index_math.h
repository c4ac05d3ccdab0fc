// Index arithmetic for reference kernels: plain, obviously correct, slow.
#pragma once

#include "kernels/core/tensor.h"

namespace kiln {
namespace reference {

// Offset (in elements, from t's first element) of the element of `t` that
// numpy broadcasting maps to the `linear`-th element of `out_shape`.
inline int64_t broadcast_offset(const Shape& out_shape, int64_t linear, const Tensor& t) {
  int64_t offset = 0;
  const int lead = out_shape.rank() - t.rank();
  for (int d = out_shape.rank() - 1; d >= 0; --d) {
    const int64_t i = linear % out_shape[d];
    linear /= out_shape[d];
    const int td = d - lead;
    if (td >= 0 && t.shape()[td] != 1) offset += i * t.strides()[td];
  }
  return offset;
}

// Offset of multi-index `idx` (rank t.rank()) in t.
inline int64_t offset_of(const Tensor& t, const int64_t* idx) {
  int64_t offset = 0;
  for (int d = 0; d < t.rank(); ++d) offset += idx[d] * t.strides()[d];
  return offset;
}

// Turns a row-major linear index into a multi-index of `shape`.
inline void unravel(const Shape& shape, int64_t linear, int64_t* idx) {
  for (int d = shape.rank() - 1; d >= 0; --d) {
    idx[d] = linear % shape[d];
    linear /= shape[d];
  }
}

}  // namespace reference
}  // namespace kiln
