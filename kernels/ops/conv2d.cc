#include "kernels/ops/conv2d.h"

#include <cmath>
#include <limits>

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"

namespace kiln {
namespace {

void read_pair(const OpDef& op, const Attrs& attrs, const char* name, int64_t min, int64_t* out) {
  const std::vector<int64_t>& v = attrs.get_ints(name);
  KILN_CHECK(v.size() == 2 && v[0] >= min && v[1] >= min, kValue, op.name, ": attribute '", name,
             "' is ", attr_value_str(v), "; expected 2 values >= ", min);
  out[0] = v[0];
  out[1] = v[1];
}

Shape shape_attr(const OpDef& op, const Attrs& attrs, const char* name) {
  const std::vector<int64_t>& v = attrs.get_ints(name);
  KILN_CHECK(v.size() == 4, kValue, op.name, ": attribute '", name, "' is ", attr_value_str(v),
             "; expected 4 values");
  return Shape(v);
}

}  // namespace

Conv2dGeometry conv2d_geometry(const OpDef& op, const Attrs& attrs, const Shape& x,
                               const Shape& w) {
  Conv2dGeometry g;
  read_pair(op, attrs, "stride", 1, g.stride);
  read_pair(op, attrs, "padding", 0, g.padding);
  read_pair(op, attrs, "dilation", 1, g.dilation);
  g.groups = attrs.get_int("groups");
  g.layout = read_layout(op, attrs);
  const auto describe = [&] {
    return str_cat("input ", x.str(), " and weight ", w.str(), " with ", attrs.str());
  };
  KILN_CHECK(g.groups >= 1, kValue, op.name, ": groups is ", g.groups, "; expected >= 1");
  KILN_CHECK(x.rank() == 4, kValue, op.name, ": input has shape ", x.str(), "; expected a 4-d ",
             layout_name(g.layout), " tensor");
  KILN_CHECK(w.rank() == 4, kValue, op.name, ": weight has shape ", w.str(),
             "; expected a 4-d (out_channels, in_channels / groups, kh, kw) tensor");
  const Nchw d = nchw_of(g.layout, x);
  g.n = d.n, g.c = d.c, g.h = d.h, g.w = d.w;
  g.o = w[0], g.kh = w[2], g.kw = w[3];
  KILN_CHECK(g.n >= 0 && g.c >= 1 && g.h >= 0 && g.w >= 0 && g.o >= 1 && g.kh >= 1 && g.kw >= 1,
             kValue, op.name, ": ", describe(),
             "; expected positive channel counts and kernel sizes");
  KILN_CHECK(g.c % g.groups == 0 && g.o % g.groups == 0, kValue, op.name, ": ", describe(),
             "; expected in_channels (", g.c, ") and out_channels (", g.o,
             ") divisible by groups (", g.groups, ")");
  KILN_CHECK(w[1] == g.c / g.groups, kValue, op.name, ": ", describe(),
             "; expected weight dim 1 to be in_channels / groups = ", g.c / g.groups);
  int64_t out[2];
  const int64_t in[2] = {g.h, g.w}, k[2] = {g.kh, g.kw};
  for (int i = 0; i < 2; ++i) {
    // dilation >= 1, k >= 1, padding >= 0 and in >= 0: only overflow can go wrong.
    const int64_t span =
        checked_mul(op.name, "the dilated kernel size", g.dilation[i], k[i] - 1) + 1;
    const int64_t padded = checked_add(op.name, "the padded input size", in[i],
                                       checked_mul(op.name, "the total padding", 2, g.padding[i]));
    KILN_CHECK(padded >= span, kValue, op.name, ": ", describe(), "; the padded input (", padded,
               ") is smaller than the dilated kernel (", span, ") in spatial dim ", i);
    out[i] = (padded - span) / g.stride[i] + 1;
  }
  g.oh = out[0], g.ow = out[1];
  return g;
}

namespace {

void check_float_inputs(const OpDef& op, const std::vector<TensorMeta>& in) {
  for (int i = 0; i < static_cast<int>(in.size()); ++i) check_dtype(op, in, i, {DType::kFloat32});
}

std::vector<TensorMeta> infer_conv2d(const OpDef& op, const Attrs& attrs,
                                     const std::vector<TensorMeta>& in) {
  const bool residual = attrs.get_bool("residual");
  const size_t min = residual ? 3 : 2;
  KILN_CHECK(in.size() == min || in.size() == min + 1, kValue, op.name, ": got ", in.size(),
             " inputs (", describe_inputs(in), "); expected x, weight, an optional bias",
             residual ? " and the residual" : "");
  check_float_inputs(op, in);
  const Conv2dGeometry g = conv2d_geometry(op, attrs, in[0].shape, in[1].shape);
  if (conv2d_has_bias(attrs, in.size())) {
    KILN_CHECK(in[2].shape == Shape({g.o}), kValue, op.name, ": bias has shape ", in[2].shape.str(),
               "; expected (", g.o, ",) for weight ", in[1].shape.str());
  }
  const double relu_max = attrs.get_float("relu_max");
  const bool bounded = relu_max > 0 && relu_max <= std::numeric_limits<float>::max();
  KILN_CHECK(std::isinf(relu_max) ? relu_max > 0 : bounded && attrs.get_bool("relu"), kValue,
             op.name, ": relu_max is ", relu_max,
             " with relu=", attrs.get_bool("relu") ? "true" : "false",
             "; expected a float32 bound > 0 for a fused relu (inf: none)");
  if (residual) {
    KILN_CHECK(in.back().shape == g.output_shape(), kValue, op.name, ": residual has shape ",
               in.back().shape.str(), "; expected the output's shape ", g.output_shape().str());
  }
  return {{DType::kFloat32, g.output_shape()}};
}

int conv2d_in_place_input(const Attrs& attrs, int num_inputs) {
  return attrs.get_bool("residual") ? num_inputs - 1 : -1;
}

std::vector<TensorMeta> infer_conv2d_backward_data(const OpDef& op, const Attrs& attrs,
                                                   const std::vector<TensorMeta>& in) {
  check_float_inputs(op, in);
  const Shape x = shape_attr(op, attrs, "input_shape");
  const Conv2dGeometry g = conv2d_geometry(op, attrs, x, in[1].shape);
  KILN_CHECK(in[0].shape == g.output_shape(), kValue, op.name, ": dy has shape ", in[0].shape.str(),
             "; expected ", g.output_shape().str(), " for input_shape ", x.str(), " and weight ",
             in[1].shape.str());
  return {{DType::kFloat32, x}};
}

std::vector<TensorMeta> infer_conv2d_backward_weight(const OpDef& op, const Attrs& attrs,
                                                     const std::vector<TensorMeta>& in) {
  check_float_inputs(op, in);
  const Shape w = shape_attr(op, attrs, "weight_shape");
  const Conv2dGeometry g = conv2d_geometry(op, attrs, in[1].shape, w);
  KILN_CHECK(in[0].shape == g.output_shape(), kValue, op.name, ": dy has shape ", in[0].shape.str(),
             "; expected ", g.output_shape().str(), " for x ", in[1].shape.str(),
             " and weight_shape ", w.str());
  return {{DType::kFloat32, w}};
}

Attrs conv_attrs(const Attrs& from) {
  Attrs a;
  for (const char* name : {"stride", "padding", "dilation", "groups", "format"})
    a.set(name, *from.find(name));
  return a;
}

void grad_conv2d(GradContext& c) {
  const Var x = input(c, 0), w = input(c, 1);
  Var dy = output_grad(c, 0);
  if (!dy.defined()) return;
  // Fused relu: y = relu(z) passes dy where y > 0 (equivalently z > 0), and
  // with a cap, where y < relu_max.
  if (c.attrs().get_bool("relu")) dy = call("relu_grad", {dy, output(c, 0)});
  const double relu_max = c.attrs().get_float("relu_max");
  if (!std::isinf(relu_max)) {
    const Var y = output(c, 0);
    dy = call("where", {call("less", {y, scalar_like(y, relu_max)}), dy, scalar_like(dy, 0)});
  }
  if (c.needs_input_grad(0)) {
    Attrs a = conv_attrs(c.attrs());
    a.set("input_shape", x.shape().vec());
    set_grad(c, 0, call("conv2d_backward_data", {dy, w}, a));
  }
  if (c.needs_input_grad(1)) {
    Attrs a = conv_attrs(c.attrs());
    a.set("weight_shape", w.shape().vec());
    set_grad(c, 1, call("conv2d_backward_weight", {dy, x}, a));
  }
  const bool residual = c.attrs().get_bool("residual");
  if (residual && c.needs_input_grad(c.num_inputs() - 1)) set_grad(c, c.num_inputs() - 1, dy);
  if (conv2d_has_bias(c.attrs(), c.num_inputs()) && c.needs_input_grad(2)) {
    const bool nchw = read_layout(get_op("conv2d"), c.attrs()) == Layout::kNCHW;
    const std::vector<int64_t> not_channels =
        nchw ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{0, 1, 2};
    set_grad(c, 2, call("sum", {dy}, {{"axes", not_channels}, {"keepdims", false}}));
  }
}

}  // namespace

void define_conv2d_ops(OpTable& t) {
  const auto with_conv_attrs = [](OpBuilder b) {
    return b.kind(OpKind::kCompute)
        .attr("stride", AttrType::kInts, std::vector<int64_t>{1, 1})
        .attr("padding", AttrType::kInts, std::vector<int64_t>{0, 0})
        .attr("dilation", AttrType::kInts, std::vector<int64_t>{1, 1})
        .attr("groups", AttrType::kInt, int64_t{1})
        .attr("format", AttrType::kString, std::string("NCHW"));
  };
  with_conv_attrs(t.define("conv2d"))
      .inputs(-1)
      .attr("relu", AttrType::kBool, false)
      .attr("relu_max", AttrType::kFloat, std::numeric_limits<double>::infinity())
      .attr("residual", AttrType::kBool, false)
      .in_place_input(conv2d_in_place_input)
      .infer(infer_conv2d)
      .grad(grad_conv2d);
  with_conv_attrs(t.define("conv2d_backward_data"))
      .inputs(2)
      .attr("input_shape", AttrType::kInts)
      .infer(infer_conv2d_backward_data);
  with_conv_attrs(t.define("conv2d_backward_weight"))
      .inputs(2)
      .attr("weight_shape", AttrType::kInts)
      .infer(infer_conv2d_backward_weight);
}

}  // namespace kiln
