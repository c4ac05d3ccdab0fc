#include "kernels/ops/reduce.h"

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"
#include "kernels/ops/axis_util.h"

namespace kiln {

ReduceAxes reduce_axes(const std::string& op, const Attrs& attrs, const Shape& shape) {
  ReduceAxes out;
  auto mark = [&](int d) {
    out.reduced[d] = true;
    out.count = checked_mul(op, "the reduced element count", out.count, shape[d]);
  };
  if (attrs.has("axis")) {
    mark(checked_axis(op, attrs.get_int("axis"), shape));
    return out;
  }
  const std::vector<int64_t>& axes = attrs.get_ints("axes");
  if (axes.empty()) {
    for (int d = 0; d < shape.rank(); ++d) mark(d);
    return out;
  }
  for (int64_t a : axes) {
    const int d = checked_axis(op, a, shape);
    KILN_CHECK(!out.reduced[d], kValue, op, ": axis ", a, " repeats in axes ", ints_str(axes),
               " for an input of shape ", shape.str(), "; expected distinct axes");
    mark(d);
  }
  return out;
}

Shape reduced_shape(const Shape& shape, const ReduceAxes& axes, bool keepdims) {
  Shape out;
  for (int d = 0; d < shape.rank(); ++d) {
    if (!axes.reduced[d])
      out.push_back(shape[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

namespace {

constexpr DType kF32 = DType::kFloat32, kI32 = DType::kInt32;

// Shared by every reduce op. `has_identity`: an empty reduction is defined.
TensorMeta reduce_meta(const OpDef& op, const Attrs& attrs, const TensorMeta& x,
                       bool has_identity) {
  const ReduceAxes axes = reduce_axes(op.name, attrs, x.shape);
  const Shape out = reduced_shape(x.shape, axes, attrs.get_bool("keepdims"));
  KILN_CHECK(has_identity || axes.count > 0 || out.numel() == 0, kValue, op.name,
             ": cannot reduce an empty axis of input ", x.str(), " (attrs ", attrs.str(),
             "); expected every reduced axis to be non-empty, since ", op.name,
             " of no elements is undefined");
  return {x.dtype, out};
}

std::vector<TensorMeta> infer_sum_prod(const OpDef& op, const Attrs& attrs,
                                       const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {kF32, kI32});
  return {reduce_meta(op, attrs, in[0], true)};
}

std::vector<TensorMeta> infer_mean(const OpDef& op, const Attrs& attrs,
                                   const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {kF32});
  return {reduce_meta(op, attrs, in[0], true)};
}

std::vector<TensorMeta> infer_max_min(const OpDef& op, const Attrs& attrs,
                                      const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {kF32, kI32});
  return {reduce_meta(op, attrs, in[0], false)};
}

std::vector<TensorMeta> infer_arg(const OpDef& op, const Attrs& attrs,
                                  const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {kF32, kI32});
  TensorMeta out = reduce_meta(op, attrs, in[0], false);
  out.dtype = kI32;
  return {out};
}

// ---- gradient rules -------------------------------------------------------
// Every rule first views dy (and y) with the reduced axes kept as size 1, so
// that they broadcast against x.

Shape kept_shape(GradContext& c, const char* op) {
  const Shape& x = input(c, 0).shape();
  return reduced_shape(x, reduce_axes(op, c.attrs(), x), true);
}

Var dy_kept(GradContext& c, const char* op) {
  return reshape(output_grad(c, 0), kept_shape(c, op));
}

void grad_sum(GradContext& c) {
  set_grad(c, 0, broadcast_to(dy_kept(c, "sum"), input(c, 0).shape()));
}

void grad_mean(GradContext& c) {
  const Var x = input(c, 0);
  const int64_t count = reduce_axes("mean", c.attrs(), x.shape()).count;
  const Var dy = dy_kept(c, "mean");
  set_grad(c, 0, broadcast_to(dy * scalar_like(dy, 1.0 / std::max<int64_t>(count, 1)), x.shape()));
}

// max/min: the gradient is shared evenly by the positions equal to the
// result (ties split it: mask / count of ties). A nan result gives nan.
void grad_extreme(GradContext& c, const char* op) {
  const Var x = input(c, 0);
  const Var y = reshape(output(c, 0), kept_shape(c, op));
  const Var mask = cast(call("equal", {x, y}), x.dtype());
  const Var ties = call("sum", {mask}, {{"axes", c.attrs().get_ints("axes")}, {"keepdims", true}});
  set_grad(c, 0, mask * (dy_kept(c, op) / ties));
}
void grad_max(GradContext& c) { grad_extreme(c, "max"); }
void grad_min(GradContext& c) { grad_extreme(c, "min"); }

// prod: dy * (the product of the other elements). That is y / x where x is
// non-zero (0 when another element is zero, since y is then 0); at a zero it
// is the product of the non-zero elements if that zero is the only one, else 0.
void grad_prod(GradContext& c) {
  const Var x = input(c, 0);
  const Var y = reshape(output(c, 0), kept_shape(c, "prod"));
  const Attrs kept{{"axes", c.attrs().get_ints("axes")}, {"keepdims", true}};
  const Var is_zero = call("equal", {x, scalar_like(x, 0.0)});
  const Var safe_x = call("where", {is_zero, scalar_like(x, 1.0), x});
  const Var zeros = call("sum", {cast(is_zero, x.dtype())}, kept);
  const Var nonzero_prod = call("prod", {safe_x}, kept);
  const Var at_zero = nonzero_prod * cast(call("equal", {zeros, scalar_like(zeros, 1.0)}), x.dtype());
  set_grad(c, 0, dy_kept(c, "prod") * call("where", {is_zero, at_zero, y / safe_x}));
}

}  // namespace

void define_reduce_ops(OpTable& t) {
  auto reduce = [&](const char* name, InferFn infer, GradFn grad) {
    t.define(name)
        .kind(OpKind::kReduce)
        .inputs(1)
        .infer(infer)
        .grad(grad)
        .attr("axes", AttrType::kInts, std::vector<int64_t>{})
        .attr("keepdims", AttrType::kBool, false);
  };
  reduce("sum", infer_sum_prod, grad_sum);
  reduce("prod", infer_sum_prod, grad_prod);
  reduce("mean", infer_mean, grad_mean);
  reduce("max", infer_max_min, grad_max);
  reduce("min", infer_max_min, grad_min);
  for (const char* name : {"argmax", "argmin"}) {
    t.define(name)
        .kind(OpKind::kReduce)
        .inputs(1)
        .infer(infer_arg)
        .attr("axis", AttrType::kInt)
        .attr("keepdims", AttrType::kBool, false);
  }
}

}  // namespace kiln
