#include "kernels/ops/layer_norm.h"

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"

namespace kiln {

LayerNormGeometry layer_norm_geometry(const OpDef& op, const Attrs& attrs,
                                      const std::vector<TensorMeta>& in, int x_index) {
  for (int i = 0; i < static_cast<int>(in.size()); ++i) check_dtype(op, in, i, {DType::kFloat32});
  const Shape& x = in[x_index].shape;
  const int64_t nd = attrs.get_int("normalized_ndim");
  KILN_CHECK(nd >= 1 && nd <= x.rank(), kValue, op.name, ": normalized_ndim is ", nd,
             " for x ", x.str(), "; expected 1 to ", x.rank());
  LayerNormGeometry g{1, 1, {}};
  Shape inner;
  for (int d = 0; d < x.rank(); ++d) {
    if (d < x.rank() - nd) {
      g.outer.push_back(x[d]);
      g.rows = checked_mul(op.name, "the row count", g.rows, x[d]);
    } else {
      inner.push_back(x[d]);
      g.cols = checked_mul(op.name, "the row length", g.cols, x[d]);
    }
  }
  const Shape& w = in[x_index + 1].shape;
  KILN_CHECK(w == inner, kValue, op.name, ": weight has shape ", w.str(), "; expected ",
             inner.str(), ", the last ", nd, " dims of x ", x.str());
  return g;
}

namespace {

std::vector<TensorMeta> infer_layer_norm(const OpDef& op, const Attrs& attrs,
                                         const std::vector<TensorMeta>& in) {
  const LayerNormGeometry g = layer_norm_geometry(op, attrs, in, 0);
  KILN_CHECK(in[2].shape == in[1].shape, kValue, op.name, ": bias has shape ", in[2].shape.str(),
             "; expected the weight's shape ", in[1].shape.str());
  const double eps = attrs.get_float("eps");
  KILN_CHECK(eps >= 0, kValue, op.name, ": eps is ", eps, "; expected >= 0");
  const TensorMeta stat{DType::kFloat32, g.outer};
  return {in[0], stat, stat};
}

std::vector<TensorMeta> infer_layer_norm_backward(const OpDef& op, const Attrs& attrs,
                                                  const std::vector<TensorMeta>& in) {
  const LayerNormGeometry g = layer_norm_geometry(op, attrs, in, 1);
  KILN_CHECK(in[0].shape == in[1].shape, kValue, op.name, ": dy has shape ", in[0].shape.str(),
             "; expected the shape of x ", in[1].shape.str());
  for (int i : {3, 4}) {
    KILN_CHECK(in[i].shape == g.outer, kValue, op.name, ": ", i == 3 ? "mean" : "rstd",
               " has shape ", in[i].shape.str(), "; expected ", g.outer.str(),
               ", the leading dims of x ", in[1].shape.str());
  }
  return {in[1], in[2], in[2]};
}

// Gradients flow from y only (mean and rstd are saved for the backward).
void grad_layer_norm(GradContext& c) {
  const Var dy = output_grad(c, 0);
  if (!dy.defined()) return;
  const std::vector<Var> g = call_multi(
      "layer_norm_backward", {dy, input(c, 0), input(c, 1), output(c, 1), output(c, 2)},
      {{"normalized_ndim", c.attrs().get_int("normalized_ndim")}});
  for (int i = 0; i < 3; ++i) set_grad(c, i, g[i]);
}

}  // namespace

void define_layer_norm_ops(OpTable& t) {
  t.define("layer_norm").kind(OpKind::kCompute).inputs(3).outputs(3)
      .attr("normalized_ndim", AttrType::kInt, int64_t{1})
      .attr("eps", AttrType::kFloat, 1e-5)
      .infer(infer_layer_norm).grad(grad_layer_norm);
  t.define("layer_norm_backward").kind(OpKind::kCompute).inputs(5).outputs(3)
      .attr("normalized_ndim", AttrType::kInt, int64_t{1})
      .infer(infer_layer_norm_backward);
}

}  // namespace kiln
