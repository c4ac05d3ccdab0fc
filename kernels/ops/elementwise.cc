#include "kernels/ops/elementwise.h"

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"
#include "kernels/ops/elementwise_math.h"

namespace kiln {
namespace {

constexpr DType kF32 = DType::kFloat32, kI32 = DType::kInt32, kBool = DType::kBool;

std::vector<TensorMeta> infer_float_unary(const OpDef& op, const Attrs&,
                                          const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {kF32});
  return {in[0]};
}

std::vector<TensorMeta> infer_numeric_unary(const OpDef& op, const Attrs&,
                                            const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {kF32, kI32});
  return {in[0]};
}

std::vector<TensorMeta> infer_logical_not(const OpDef& op, const Attrs&,
                                          const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {kBool});
  return {in[0]};
}

template <DType... Allowed>
std::vector<TensorMeta> infer_binary(const OpDef& op, const Attrs&,
                                     const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {Allowed...});
  check_same_dtype(op, in);
  return {{in[0].dtype, broadcast_shapes(in[0].shape, in[1].shape, op.name.c_str())}};
}

std::vector<TensorMeta> infer_compare(const OpDef& op, const Attrs& attrs,
                                      const std::vector<TensorMeta>& in) {
  auto out = infer_binary<kF32, kI32, kBool>(op, attrs, in);
  out[0].dtype = kBool;
  return out;
}

std::vector<TensorMeta> infer_where(const OpDef& op, const Attrs&,
                                    const std::vector<TensorMeta>& in) {
  check_dtype(op, in, 0, {kBool});
  KILN_CHECK(in[1].dtype == in[2].dtype, kType, op.name, ": x and y have different dtypes (",
             describe_inputs(in), "); expected equal dtypes");
  const char* name = op.name.c_str();
  Shape shape = broadcast_shapes(broadcast_shapes(in[0].shape, in[1].shape, name), in[2].shape, name);
  return {{in[1].dtype, shape}};
}

std::vector<TensorMeta> infer_cast(const OpDef& op, const Attrs& attrs,
                                   const std::vector<TensorMeta>& in) {
  return {{dtype_attr(op, attrs), in[0].shape}};
}

std::vector<TensorMeta> infer_fill(const OpDef& op, const Attrs& attrs,
                                   const std::vector<TensorMeta>&) {
  Shape shape(attrs.get_ints("shape"));
  for (int64_t d : shape)
    KILN_CHECK(d >= 0, kValue, op.name, ": invalid shape ", shape.str(), "; dimensions must be >= 0");
  return {{dtype_attr(op, attrs), shape}};
}

// ---- gradient rules -------------------------------------------------------

Var dy0(GradContext& ctx) { return output_grad(ctx, 0); }
Var x0(GradContext& ctx) { return input(ctx, 0); }
Var y0(GradContext& ctx) { return output(ctx, 0); }

void grad_exp(GradContext& c) { set_grad(c, 0, dy0(c) * y0(c)); }
void grad_log(GradContext& c) { set_grad(c, 0, dy0(c) / x0(c)); }
void grad_log1p(GradContext& c) { set_grad(c, 0, dy0(c) / (x0(c) + scalar_like(x0(c), 1))); }
void grad_expm1(GradContext& c) { set_grad(c, 0, dy0(c) * (y0(c) + scalar_like(y0(c), 1))); }
void grad_sqrt(GradContext& c) { set_grad(c, 0, dy0(c) / (y0(c) * scalar_like(y0(c), 2))); }
void grad_sin(GradContext& c) { set_grad(c, 0, dy0(c) * call("cos", {x0(c)})); }
void grad_cos(GradContext& c) { set_grad(c, 0, -(dy0(c) * call("sin", {x0(c)}))); }
void grad_tanh(GradContext& c) { set_grad(c, 0, call("tanh_grad", {dy0(c), y0(c)})); }
void grad_sigmoid(GradContext& c) { set_grad(c, 0, call("sigmoid_grad", {dy0(c), y0(c)})); }
void grad_erf(GradContext& c) {
  const Var x = x0(c);
  set_grad(c, 0, dy0(c) * scalar_like(x, 1.1283791670955126) * call("exp", {-(x * x)}));
}
void grad_zero(GradContext& c) { set_grad(c, 0, zeros_like(x0(c))); }
void grad_neg(GradContext& c) { set_grad(c, 0, -dy0(c)); }
void grad_abs(GradContext& c) { set_grad(c, 0, dy0(c) * call("sign", {x0(c)})); }
void grad_square(GradContext& c) { set_grad(c, 0, dy0(c) * x0(c) * scalar_like(x0(c), 2)); }
void grad_relu(GradContext& c) { set_grad(c, 0, call("relu_grad", {dy0(c), x0(c)})); }

// Binary rules reduce broadcast gradients back to each input's shape.
void set_binary_grads(GradContext& c, const Var& ga, const Var& gb) {
  if (c.needs_input_grad(0)) set_grad(c, 0, sum_to(ga, input(c, 0).shape()));
  if (c.needs_input_grad(1)) set_grad(c, 1, sum_to(gb, input(c, 1).shape()));
}
Var a_(GradContext& c) { return input(c, 0); }
Var b_(GradContext& c) { return input(c, 1); }

void grad_add(GradContext& c) { set_binary_grads(c, dy0(c), c.needs_input_grad(1) ? dy0(c) : Var()); }
void grad_sub(GradContext& c) {
  set_binary_grads(c, dy0(c), c.needs_input_grad(1) ? -dy0(c) : Var());
}
void grad_mul(GradContext& c) {
  set_binary_grads(c, c.needs_input_grad(0) ? dy0(c) * b_(c) : Var(),
                   c.needs_input_grad(1) ? dy0(c) * a_(c) : Var());
}
void grad_div(GradContext& c) {
  const Var ga = dy0(c) / b_(c);
  set_binary_grads(c, ga, c.needs_input_grad(1) ? -(ga * y0(c)) : Var());
}
void grad_pow(GradContext& c) {
  const Var a = a_(c), b = b_(c), dy = dy0(c);
  set_binary_grads(
      c, c.needs_input_grad(0) ? dy * b * call("pow", {a, b - scalar_like(b, 1)}) : Var(),
      c.needs_input_grad(1) ? dy * y0(c) * call("log", {a}) : Var());
}
Var masked(const Var& mask, const Var& dy) {
  return call("where", {mask, dy, scalar_like(dy, 0)});
}
void grad_maximum(GradContext& c) {
  const Var ge = call("greater_equal", {a_(c), b_(c)});
  set_binary_grads(c, masked(ge, dy0(c)), masked(call("logical_not", {ge}), dy0(c)));
}
void grad_minimum(GradContext& c) {
  const Var le = call("less_equal", {a_(c), b_(c)});
  set_binary_grads(c, masked(le, dy0(c)), masked(call("logical_not", {le}), dy0(c)));
}
void grad_floor_div(GradContext& c) {
  set_binary_grads(c, zeros_like(y0(c)), zeros_like(y0(c)));
}
void grad_mod(GradContext& c) {
  set_binary_grads(c, dy0(c), -(dy0(c) * call("floor_div", {a_(c), b_(c)})));
}
void grad_where(GradContext& c) {
  const Var cond = input(c, 0), dy = dy0(c), zero = scalar_like(dy, 0);
  if (c.needs_input_grad(1)) set_grad(c, 1, sum_to(call("where", {cond, dy, zero}), input(c, 1).shape()));
  if (c.needs_input_grad(2)) set_grad(c, 2, sum_to(call("where", {cond, zero, dy}), input(c, 2).shape()));
}
void grad_cast(GradContext& c) {
  if (is_floating(x0(c).dtype()) && is_floating(y0(c).dtype()))
    set_grad(c, 0, cast(dy0(c), x0(c).dtype()));
}

}  // namespace

void define_elementwise_ops(OpTable& t) {
  auto unary = [&](const char* name, InferFn infer, GradFn grad) {
    auto b = t.define(name).kind(OpKind::kUnary).inputs(1).infer(infer).strided_inputs();
    if (grad) b.grad(grad);
  };
  unary("exp", infer_float_unary, grad_exp);
  unary("log", infer_float_unary, grad_log);
  unary("log1p", infer_float_unary, grad_log1p);
  unary("expm1", infer_float_unary, grad_expm1);
  unary("sqrt", infer_float_unary, grad_sqrt);
  unary("sin", infer_float_unary, grad_sin);
  unary("cos", infer_float_unary, grad_cos);
  unary("tanh", infer_float_unary, grad_tanh);
  unary("sigmoid", infer_float_unary, grad_sigmoid);
  unary("erf", infer_float_unary, grad_erf);
  unary("floor", infer_float_unary, grad_zero);
  unary("ceil", infer_float_unary, grad_zero);
  unary("round", infer_float_unary, grad_zero);
  unary("neg", infer_numeric_unary, grad_neg);
  unary("abs", infer_numeric_unary, grad_abs);
  unary("square", infer_numeric_unary, grad_square);
  unary("relu", infer_numeric_unary, grad_relu);
  unary("sign", infer_numeric_unary, grad_zero);
  unary("logical_not", infer_logical_not, nullptr);

  auto binary = [&](const char* name, InferFn infer, GradFn grad) {
    auto b = t.define(name).kind(OpKind::kBinary).inputs(2).infer(infer).strided_inputs();
    if (grad) b.grad(grad);
  };
  binary("add", infer_binary<kF32, kI32>, grad_add);
  binary("sub", infer_binary<kF32, kI32>, grad_sub);
  binary("mul", infer_binary<kF32, kI32>, grad_mul);
  binary("maximum", infer_binary<kF32, kI32>, grad_maximum);
  binary("minimum", infer_binary<kF32, kI32>, grad_minimum);
  binary("floor_div", infer_binary<kF32, kI32>, grad_floor_div);
  binary("mod", infer_binary<kF32, kI32>, grad_mod);
  binary("div", infer_binary<kF32>, grad_div);
  binary("pow", infer_binary<kF32>, grad_pow);
  binary("relu_grad", infer_binary<kF32>, nullptr);
  binary("sigmoid_grad", infer_binary<kF32>, nullptr);
  binary("tanh_grad", infer_binary<kF32>, nullptr);
#define KILN_DEFINE(name, expr) binary(#name, infer_compare, nullptr);
  KILN_COMPARE_OPS(KILN_DEFINE)
#undef KILN_DEFINE
#define KILN_DEFINE(name, expr) binary(#name, infer_binary<kBool>, nullptr);
  KILN_LOGICAL_BINARY_OPS(KILN_DEFINE)
#undef KILN_DEFINE

  t.define("where").kind(OpKind::kTernary).inputs(3).infer(infer_where).grad(grad_where)
      .strided_inputs();
  t.define("cast").kind(OpKind::kUnary).inputs(1).attr("dtype", AttrType::kString)
      .infer(infer_cast).grad(grad_cast).strided_inputs();
  t.define("fill").kind(OpKind::kSource).inputs(0)
      .attr("value", AttrType::kFloat).attr("shape", AttrType::kInts)
      .attr("dtype", AttrType::kString, std::string("float32")).infer(infer_fill);
}

}  // namespace kiln
