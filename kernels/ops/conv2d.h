// conv2d (NCHW or NHWC input, OIHW weight with groups, optional bias) and its two
// backward ops, which the gradient rule emits:
//   conv2d(x, w[, b])                      -> y
//   conv2d_backward_data(dy, w)   + input_shape  -> dx
//   conv2d_backward_weight(dy, x) + weight_shape -> dw
// All three take stride, padding, dilation (2 ints each), groups and format
// (the activation layout, kernels/ops/layout.h).
// conv2d also takes relu (bool, default false): y = max(conv + bias, 0), the
// form graph::BiasActivationFusion produces (a oneDNN eltwise post-op on CPU);
// relu_max (float > 0, default inf; only with relu) caps it, y = min(y,
// relu_max), as in ReLU6;
// and residual (bool, default false): then its last input r, of the output's
// shape, is added before the relu, y = max(conv + bias + r, 0), the form
// graph::ResidualAddFusion produces (a oneDNN sum post-op accumulating into
// the output, which may share r's buffer: OpDef::in_place_input).
//   conv2d(x, w[, b][, r])
#pragma once

#include "kernels/op_def.h"
#include "kernels/ops/layout.h"

namespace kiln {

// Everything infer and the backends need, validated.
struct Conv2dGeometry {
  int64_t stride[2], padding[2], dilation[2], groups;
  int64_t n, c, h, w;  // input
  int64_t o, kh, kw;   // weight: (o, c / groups, kh, kw)
  int64_t oh, ow;      // output: (n, o, oh, ow)
  Layout layout = Layout::kNCHW;
  Nchw input_dims() const { return {n, c, h, w}; }
  Nchw output_dims() const { return {n, o, oh, ow}; }
  Shape input_shape() const { return shape_of(layout, input_dims()); }
  Shape weight_shape() const { return {o, c / groups, kh, kw}; }
  Shape output_shape() const { return shape_of(layout, output_dims()); }
};

// Whether conv2d's inputs (x, w[, b][, r]) include a bias: r, when the
// residual attr is set, is always the last.
inline bool conv2d_has_bias(const Attrs& attrs, size_t num_inputs) {
  return num_inputs == (attrs.get_bool("residual") ? 4u : 3u);
}

// Checks attrs and the input/weight shapes; errors name op, shapes and attrs.
Conv2dGeometry conv2d_geometry(const OpDef& op, const Attrs& attrs, const Shape& x, const Shape& w);

void define_conv2d_ops(OpTable& table);
void register_conv2d_cpu(OpTable& table);
void register_conv2d_reference(OpTable& table);

}  // namespace kiln
