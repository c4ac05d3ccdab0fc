#include "kernels/ops/softmax.h"

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"

namespace kiln {

SoftmaxGeometry softmax_geometry(const OpDef& op, const Attrs& attrs, const Shape& x) {
  KILN_CHECK(x.rank() >= 1, kValue, op.name, ": input has shape ", x.str(),
             "; expected rank >= 1");
  const int axis = normalize_axis(attrs.get_int("axis"), x.rank(), op.name.c_str());
  SoftmaxGeometry g{1, x[axis], 1};
  for (int d = 0; d < axis; ++d) g.outer = checked_mul(op.name, "the outer size", g.outer, x[d]);
  for (int d = axis + 1; d < x.rank(); ++d)
    g.inner = checked_mul(op.name, "the inner size", g.inner, x[d]);
  return g;
}

namespace {

std::vector<TensorMeta> infer_softmax(const OpDef& op, const Attrs& attrs,
                                      const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {DType::kFloat32});
  softmax_geometry(op, attrs, in[0].shape);
  return {in[0]};
}

std::vector<TensorMeta> infer_softmax_backward(const OpDef& op, const Attrs& attrs,
                                               const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {DType::kFloat32});
  check_dtype(op, in, 1, {DType::kFloat32});
  KILN_CHECK(in[0].shape == in[1].shape, kValue, op.name, ": y has shape ", in[0].shape.str(),
             " and dy has shape ", in[1].shape.str(), "; expected equal shapes");
  softmax_geometry(op, attrs, in[0].shape);
  return {in[0]};
}

template <const char* kBackward>
void grad_softmax(GradContext& c) {
  const Var dy = output_grad(c, 0);
  if (!dy.defined()) return;
  set_grad(c, 0, call(kBackward, {output(c, 0), dy}, {{"axis", c.attrs().get_int("axis")}}));
}

constexpr char kSoftmaxBackward[] = "softmax_backward";
constexpr char kLogSoftmaxBackward[] = "log_softmax_backward";

}  // namespace

void define_softmax_ops(OpTable& t) {
  const auto with_axis = [](OpBuilder b) {
    return b.kind(OpKind::kCompute).attr("axis", AttrType::kInt, int64_t{-1});
  };
  with_axis(t.define("softmax")).inputs(1).infer(infer_softmax)
      .grad(grad_softmax<kSoftmaxBackward>);
  with_axis(t.define("log_softmax")).inputs(1).infer(infer_softmax)
      .grad(grad_softmax<kLogSoftmaxBackward>);
  with_axis(t.define("softmax_backward")).inputs(2).infer(infer_softmax_backward);
  with_axis(t.define("log_softmax_backward")).inputs(2).infer(infer_softmax_backward);
}

}  // namespace kiln
