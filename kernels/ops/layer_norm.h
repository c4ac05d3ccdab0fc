// layer_norm over the last normalized_ndim dims of x, and its backward op:
//   layer_norm(x, weight, bias) -> y, mean, rstd
//     weight and bias have x's trailing shape; mean and rstd = 1/sqrt(var + eps)
//     (biased var) have x's leading shape and are kept for the backward;
//   layer_norm_backward(dy, x, weight, mean, rstd) -> dx, dweight, dbias.
// Attrs: normalized_ndim (int, 1), eps (float, 1e-5; forward only).
#pragma once

#include "kernels/op_def.h"

namespace kiln {

struct LayerNormGeometry {
  int64_t rows, cols;  // x viewed as (rows, cols); cols are normalised
  Shape outer;         // x's leading dims: the shape of mean and rstd
};
// Checks x (input x_index), weight (x_index + 1) and normalized_ndim.
LayerNormGeometry layer_norm_geometry(const OpDef& op, const Attrs& attrs,
                                      const std::vector<TensorMeta>& in, int x_index);

void define_layer_norm_ops(OpTable& table);
void register_layer_norm_cpu(OpTable& table);
void register_layer_norm_reference(OpTable& table);

}  // namespace kiln
