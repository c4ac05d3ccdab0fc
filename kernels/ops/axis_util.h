// Axis checks shared by the reduce, movement and index families. Each throws
// with the op's name, the input's shape and the valid range.
#pragma once

#include <string>
#include <vector>

#include "kernels/core/error.h"
#include "kernels/core/shape.h"

namespace kiln {

// Normalises axis in [-rank, rank) to [0, rank); IndexError otherwise.
inline int checked_axis(const std::string& op, int64_t axis, const Shape& shape) {
  const int rank = shape.rank();
  KILN_CHECK(axis >= -rank && axis < rank, kIndex, op, ": axis ", axis,
             " is out of range for an input of shape ", shape.str(), " (expected ", -rank,
             " <= axis < ", rank, ")");
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// "[1, 2]" for error messages.
inline std::string ints_str(const std::vector<int64_t>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + "]";
}

}  // namespace kiln
