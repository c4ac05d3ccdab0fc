// matmul: y = op(a) @ op(b) over the last two dims, op = transpose when
// transpose_a / transpose_b is set; the leading (batch) dims broadcast
// numpy-style. Ranks are >= 2 (the Python front end reshapes 1-D operands).
// An optional third input, bias of shape (n,), is added to every row, and
// relu (bool, default false) applies max(y, 0) last: the fused form
// graph::BiasActivationFusion produces (oneDNN bias and eltwise post-op).
#pragma once

#include "kernels/op_def.h"

namespace kiln {

// The geometry infer and every backend share.
struct MatmulGeometry {
  Shape batch;            // broadcast batch dims of y
  Shape a_batch, b_batch; // each operand's batch dims, left-padded with 1s to batch's rank
  int64_t m = 0, k = 0, n = 0;
  bool transpose_a = false, transpose_b = false;
};
// Validates (throws naming op and shapes) and computes the geometry.
MatmulGeometry matmul_geometry(const OpDef& op, const Attrs& attrs, const Shape& a,
                               const Shape& b);

void define_matmul_op(OpTable& table);
void register_matmul_cpu(OpTable& table);
void register_matmul_reference(OpTable& table);

}  // namespace kiln
