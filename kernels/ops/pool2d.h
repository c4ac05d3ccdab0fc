// 2-d pooling over NCHW (or NHWC, attr format: kernels/ops/layout.h) tensors
// and the backward ops its gradients emit:
//   max_pool2d(x)               -> y     max_pool2d_backward(x, dy) -> dx
//   avg_pool2d(x)               -> y     avg_pool2d_backward(dy)    -> dx (+ input_shape)
// Attrs: kernel (2 ints), stride (2 ints; [] = kernel), padding (2 ints,
// each < kernel so every window holds a real element); avg also has
// count_include_pad (default false: MegEngine's average_count_exclude_padding).
// Output size is floor((in + 2 * padding - kernel) / stride) + 1.
#pragma once

#include "kernels/op_def.h"
#include "kernels/ops/layout.h"

namespace kiln {

struct Pool2dGeometry {
  int64_t kernel[2], stride[2], padding[2];
  int64_t n, c, h, w, oh, ow;
  bool count_include_pad = false;  // avg only
  Layout layout = Layout::kNCHW;
  Nchw input_dims() const { return {n, c, h, w}; }
  Nchw output_dims() const { return {n, c, oh, ow}; }
  Shape input_shape() const { return shape_of(layout, input_dims()); }
  Shape output_shape() const { return shape_of(layout, output_dims()); }
};

// Checks attrs and the input shape; errors name op, shape and attrs.
Pool2dGeometry pool2d_geometry(const OpDef& op, const Attrs& attrs, const Shape& x);

void define_pool2d_ops(OpTable& table);
void register_pool2d_cpu(OpTable& table);
void register_pool2d_reference(OpTable& table);

}  // namespace kiln
