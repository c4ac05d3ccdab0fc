// softmax and log_softmax along one axis, and their backward ops:
//   softmax(x) -> y                 softmax_backward(y, dy) -> dx
//   log_softmax(x) -> y             log_softmax_backward(y, dy) -> dx
// The backward ops take the forward output y. Attr: axis (int, -1).
#pragma once

#include "kernels/op_def.h"

namespace kiln {

struct SoftmaxGeometry {
  int64_t outer, axis_size, inner;  // x viewed as (outer, axis_size, inner)
};
SoftmaxGeometry softmax_geometry(const OpDef& op, const Attrs& attrs, const Shape& x);

void define_softmax_ops(OpTable& table);
void register_softmax_cpu(OpTable& table);
void register_softmax_reference(OpTable& table);

}  // namespace kiln
