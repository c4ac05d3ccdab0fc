// batch_norm over the channel dim (1) of x (N, C, ...), and its backward op:
//   batch_norm(x, weight, bias, running_mean, running_var) -> y, mean, var
//     training=true:  normalises with the batch statistics and outputs them
//                     (mean, biased var); running_* are not read (the Python
//                     side updates them, with the unbiased variance);
//     training=false: normalises with running_* and outputs copies of them.
//   batch_norm_backward(dy, x, weight, mean, var) -> dx, dweight, dbias
//     with the mean/var batch_norm output; training says whether they were
//     batch statistics (dx then includes their dependence on x).
// Attrs: eps (float, 1e-5), training (bool; false for batch_norm, true for
// batch_norm_backward).
#pragma once

#include "kernels/op_def.h"

namespace kiln {

struct BatchNormGeometry {
  int64_t n, c, spatial;  // x viewed as (n, c, spatial)
};
// Checks x (input 1 for batch_norm_backward: x_index) and the per-channel
// inputs; errors name op, shapes and expectation.
BatchNormGeometry batch_norm_geometry(const OpDef& op, const std::vector<TensorMeta>& in,
                                      int x_index, const std::vector<int>& per_channel);

void define_batch_norm_ops(OpTable& table);
void register_batch_norm_cpu(OpTable& table);
void register_batch_norm_reference(OpTable& table);

}  // namespace kiln
