#include "kernels/ops/batch_norm.h"

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"

namespace kiln {

namespace {
const char* const kInputNames[] = {"x", "weight", "bias", "running_mean", "running_var"};
const char* const kBackwardNames[] = {"dy", "x", "weight", "mean", "var"};
}  // namespace

BatchNormGeometry batch_norm_geometry(const OpDef& op, const std::vector<TensorMeta>& in,
                                      int x_index, const std::vector<int>& per_channel) {
  const char* const* names = x_index == 0 ? kInputNames : kBackwardNames;
  for (int i = 0; i < static_cast<int>(in.size()); ++i) check_dtype(op, in, i, {DType::kFloat32});
  const Shape& x = in[x_index].shape;
  KILN_CHECK(x.rank() >= 2, kValue, op.name, ": ", names[x_index], " has shape ", x.str(),
             "; expected (N, C) or (N, C, ...) with rank >= 2");
  BatchNormGeometry g{x[0], x[1], 1};
  for (int d = 2; d < x.rank(); ++d)
    g.spatial = checked_mul(op.name, "the spatial size", g.spatial, x[d]);
  for (int i : per_channel) {
    KILN_CHECK(in[i].shape == Shape({g.c}), kValue, op.name, ": ", names[i], " has shape ",
               in[i].shape.str(), "; expected (", g.c, ",) for the channels of ", names[x_index],
               " ", x.str());
  }
  return g;
}

namespace {

void check_eps(const OpDef& op, const Attrs& attrs) {
  const double eps = attrs.get_float("eps");
  KILN_CHECK(eps >= 0, kValue, op.name, ": eps is ", eps, "; expected >= 0");
}

std::vector<TensorMeta> infer_batch_norm(const OpDef& op, const Attrs& attrs,
                                         const std::vector<TensorMeta>& in) {
  const BatchNormGeometry g = batch_norm_geometry(op, in, 0, {1, 2, 3, 4});
  check_eps(op, attrs);
  KILN_CHECK(!attrs.get_bool("training") || (g.n > 0 && g.spatial > 0), kValue, op.name,
             ": training on x ", in[0].shape.str(),
             " has no values per channel; expected a non-empty batch");
  const TensorMeta stat{DType::kFloat32, {g.c}};
  return {in[0], stat, stat};
}

std::vector<TensorMeta> infer_batch_norm_backward(const OpDef& op, const Attrs& attrs,
                                                  const std::vector<TensorMeta>& in) {
  const BatchNormGeometry g = batch_norm_geometry(op, in, 1, {2, 3, 4});
  check_eps(op, attrs);
  KILN_CHECK(in[0].shape == in[1].shape, kValue, op.name, ": dy has shape ", in[0].shape.str(),
             "; expected the shape of x ", in[1].shape.str());
  const TensorMeta stat{DType::kFloat32, {g.c}};
  return {in[1], stat, stat};
}

// Gradients flow from y only: the statistics outputs feed running-average
// updates, which are not differentiated.
void grad_batch_norm(GradContext& c) {
  const Var dy = output_grad(c, 0);
  if (!dy.defined()) return;
  if (!c.needs_input_grad(0) && !c.needs_input_grad(1) && !c.needs_input_grad(2)) return;
  const Attrs attrs{{"eps", c.attrs().get_float("eps")},
                    {"training", c.attrs().get_bool("training")}};
  const std::vector<Var> g = call_multi(
      "batch_norm_backward", {dy, input(c, 0), input(c, 1), output(c, 1), output(c, 2)}, attrs);
  for (int i = 0; i < 3; ++i) set_grad(c, i, g[i]);
}

}  // namespace

void define_batch_norm_ops(OpTable& t) {
  t.define("batch_norm").kind(OpKind::kCompute).inputs(5).outputs(3)
      .attr("eps", AttrType::kFloat, 1e-5)
      .attr("training", AttrType::kBool, false)
      .infer(infer_batch_norm).grad(grad_batch_norm);
  t.define("batch_norm_backward").kind(OpKind::kCompute).inputs(5).outputs(3)
      .attr("eps", AttrType::kFloat, 1e-5)
      .attr("training", AttrType::kBool, true)
      .infer(infer_batch_norm_backward);
}

}  // namespace kiln
