// The movement family. Every op takes any dtype and keeps it.
//   reshape(x; shape: ints, at most one -1, inferred) — ValueError when the
//     element counts differ.
//   broadcast_to(x; shape: ints) — numpy rules (x's dims align to the right
//     and are equal or 1).
//   transpose(x; perm: ints, a permutation of the axes).
//   slice(x; axes: ints, starts: ints, stops: ints, steps: ints, default [] =
//     all 1) — numpy basic slicing on the listed axes. starts/stops come
//     normalized by the caller as Python's slice.indices(dim) gives them:
//     step > 0: 0 <= start, stop <= dim; step < 0: -1 <= start, stop <= dim - 1.
//   slice_backward(dy; shape: ints, axes, starts, stops, steps as slice) —
//     zeros of `shape` with dy written where slice would read it.
//   concat(x0, x1, ...; axis: int, default 0) — equal dtypes and ranks, equal
//     dims except `axis`.
//   pad(x; pads: ints [before0, after0, before1, after1, ...] (>= 0), value:
//     float, default 0) — constant padding.
//   copy(x) — a contiguous copy (identity).
// reshape, broadcast_to, transpose and slice are OpKind::kMovement and also
// have a ViewFn that builds the output as a view of the input (reshape's only
// for a contiguous input); their kernels copy and accept strided inputs.
#pragma once

#include <string>
#include <vector>

#include "kernels/op_def.h"

namespace kiln {

// reshape's target for an input of shape `in`, its -1 resolved; ValueError.
Shape resolve_reshape(const std::string& op, const Shape& in, const std::vector<int64_t>& shape);

// slice's attributes checked against an input of `shape`, expanded to one
// (start, stop, step) per axis (untouched axes: 0, dim, 1). ValueError/IndexError.
struct SliceSpec {
  int64_t start[kMaxRank], stop[kMaxRank], step[kMaxRank];
  Shape out;  // the sliced shape
};
SliceSpec slice_spec(const std::string& op, const Attrs& attrs, const Shape& shape);
Tensor slice_view(const Tensor& t, const SliceSpec& spec);

void define_movement_ops(OpTable& table);
void register_movement_cpu(OpTable& table);
void register_movement_reference(OpTable& table);

}  // namespace kiln
