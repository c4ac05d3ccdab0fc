#include "kernels/ops/pool2d.h"

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"

namespace kiln {

Pool2dGeometry pool2d_geometry(const OpDef& op, const Attrs& attrs, const Shape& x) {
  Pool2dGeometry g;
  const auto pair = [&](const char* name, int64_t min, int64_t* out) {
    std::vector<int64_t> v = attrs.get_ints(name);
    if (v.empty() && std::string(name) == "stride") v = attrs.get_ints("kernel");
    KILN_CHECK(v.size() == 2 && v[0] >= min && v[1] >= min, kValue, op.name, ": attribute '", name,
               "' is ", attr_value_str(v), "; expected 2 values >= ", min);
    out[0] = v[0];
    out[1] = v[1];
  };
  pair("kernel", 1, g.kernel);
  pair("stride", 1, g.stride);
  pair("padding", 0, g.padding);
  if (attrs.has("count_include_pad")) g.count_include_pad = attrs.get_bool("count_include_pad");
  g.layout = read_layout(op, attrs);
  KILN_CHECK(g.padding[0] < g.kernel[0] && g.padding[1] < g.kernel[1], kValue, op.name,
             ": padding ", attr_value_str(attrs.get_ints("padding")), " with kernel ",
             attr_value_str(attrs.get_ints("kernel")),
             "; expected padding < kernel so that every window holds an input element");
  KILN_CHECK(x.rank() == 4, kValue, op.name, ": input has shape ", x.str(), "; expected a 4-d ",
             layout_name(g.layout), " tensor");
  const Nchw d = nchw_of(g.layout, x);
  g.n = d.n, g.c = d.c, g.h = d.h, g.w = d.w;
  KILN_CHECK(g.n >= 0 && g.c >= 0 && g.h >= 0 && g.w >= 0, kValue, op.name, ": input has shape ",
             x.str(), "; expected sizes >= 0");
  const int64_t in[2] = {g.h, g.w};
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    const int64_t padded = checked_add(op.name, "the padded input size", in[i],
                                       checked_mul(op.name, "the total padding", 2, g.padding[i]));
    KILN_CHECK(padded >= g.kernel[i], kValue, op.name, ": input ", x.str(), " with padding ",
               attr_value_str(attrs.get_ints("padding")), " is smaller than the kernel ",
               attr_value_str(attrs.get_ints("kernel")), " in spatial dim ", i);
    out[i] = (padded - g.kernel[i]) / g.stride[i] + 1;
  }
  g.oh = out[0], g.ow = out[1];
  return g;
}

namespace {

std::vector<TensorMeta> infer_pool2d(const OpDef& op, const Attrs& attrs,
                                     const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {DType::kFloat32});
  return {{DType::kFloat32, pool2d_geometry(op, attrs, in[0].shape).output_shape()}};
}

void check_dy(const OpDef& op, const Pool2dGeometry& g, const TensorMeta& dy, const char* from) {
  KILN_CHECK(dy.shape == g.output_shape(), kValue, op.name, ": dy has shape ", dy.shape.str(),
             "; expected the pooled shape ", g.output_shape().str(), " of ", from, " ",
             g.input_shape().str());
}

std::vector<TensorMeta> infer_max_pool2d_backward(const OpDef& op, const Attrs& attrs,
                                                  const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {DType::kFloat32});
  check_dtype(op, in, 1, {DType::kFloat32});
  const Pool2dGeometry g = pool2d_geometry(op, attrs, in[0].shape);
  check_dy(op, g, in[1], "x");
  return {in[0]};
}

std::vector<TensorMeta> infer_avg_pool2d_backward(const OpDef& op, const Attrs& attrs,
                                                  const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {DType::kFloat32});
  const std::vector<int64_t>& shape = attrs.get_ints("input_shape");
  KILN_CHECK(shape.size() == 4, kValue, op.name, ": attribute 'input_shape' is ",
             attr_value_str(shape), "; expected 4 values");
  const Pool2dGeometry g = pool2d_geometry(op, attrs, Shape(shape));
  check_dy(op, g, in[0], "input_shape");
  return {{DType::kFloat32, Shape(shape)}};
}

Attrs pool_attrs(const Attrs& from, bool avg) {
  Attrs a;
  for (const char* name : {"kernel", "stride", "padding", "format"}) a.set(name, *from.find(name));
  if (avg) a.set("count_include_pad", from.get_bool("count_include_pad"));
  return a;
}

void grad_max_pool2d(GradContext& c) {
  const Var dy = output_grad(c, 0);
  if (!dy.defined()) return;
  set_grad(c, 0, call("max_pool2d_backward", {input(c, 0), dy}, pool_attrs(c.attrs(), false)));
}

void grad_avg_pool2d(GradContext& c) {
  const Var dy = output_grad(c, 0);
  if (!dy.defined()) return;
  Attrs a = pool_attrs(c.attrs(), true);
  a.set("input_shape", input(c, 0).shape().vec());
  set_grad(c, 0, call("avg_pool2d_backward", {dy}, a));
}

}  // namespace

void define_pool2d_ops(OpTable& t) {
  const auto with_pool_attrs = [](OpBuilder b) {
    return b.kind(OpKind::kCompute)
        .attr("kernel", AttrType::kInts)
        .attr("stride", AttrType::kInts, std::vector<int64_t>{})
        .attr("padding", AttrType::kInts, std::vector<int64_t>{0, 0})
        .attr("format", AttrType::kString, std::string("NCHW"));
  };
  with_pool_attrs(t.define("max_pool2d")).inputs(1).infer(infer_pool2d).grad(grad_max_pool2d);
  with_pool_attrs(t.define("avg_pool2d"))
      .inputs(1)
      .attr("count_include_pad", AttrType::kBool, false)
      .infer(infer_pool2d)
      .grad(grad_avg_pool2d);
  with_pool_attrs(t.define("max_pool2d_backward")).inputs(2).infer(infer_max_pool2d_backward);
  with_pool_attrs(t.define("avg_pool2d_backward"))
      .inputs(1)
      .attr("count_include_pad", AttrType::kBool, false)
      .attr("input_shape", AttrType::kInts)
      .infer(infer_avg_pool2d_backward);
}

}  // namespace kiln
