#include "kernels/grad_builder.h"

#include "kernels/core/error.h"

namespace kiln {

Var input(GradContext& ctx, int i) { return Var(&ctx, ctx.input(i)); }
Var output(GradContext& ctx, int i) { return Var(&ctx, ctx.output(i)); }
Var output_grad(GradContext& ctx, int i) { return Var(&ctx, ctx.output_grad(i)); }

Var output_grad_or_zeros(GradContext& ctx, int i) {
  Var g = output_grad(ctx, i);
  return g.defined() ? g : zeros_like(output(ctx, i));
}

void set_grad(GradContext& ctx, int i, const Var& grad) {
  if (grad.defined() && ctx.needs_input_grad(i)) ctx.set_input_grad(i, grad.ref());
}

std::vector<Var> call_multi(const std::string& op, const std::vector<Var>& inputs,
                            const Attrs& attrs) {
  GradContext* ctx = nullptr;
  std::vector<ValueRef> refs;
  for (const Var& v : inputs) {
    KILN_CHECK(v.defined(), kRuntime, "gradient rule passed an undefined value to ", op);
    ctx = v.ctx();
    refs.push_back(v.ref());
  }
  KILN_CHECK(ctx != nullptr, kRuntime, "call(", op, ") needs at least one input");
  const OpDef& def = get_op(op);
  std::vector<Var> out;
  for (auto& r : ctx->emit(def, def.complete_attrs(attrs), refs)) out.emplace_back(ctx, r);
  return out;
}

Var call(const std::string& op, const std::vector<Var>& inputs, const Attrs& attrs) {
  return call_multi(op, inputs, attrs)[0];
}

Var operator+(const Var& a, const Var& b) { return call("add", {a, b}); }
Var operator-(const Var& a, const Var& b) { return call("sub", {a, b}); }
Var operator*(const Var& a, const Var& b) { return call("mul", {a, b}); }
Var operator/(const Var& a, const Var& b) { return call("div", {a, b}); }
Var operator-(const Var& a) { return call("neg", {a}); }

Var scalar_like(const Var& like, double value) {
  // fill has no tensor inputs; `like` only provides the context.
  GradContext* ctx = like.ctx();
  const OpDef& def = get_op("fill");
  Attrs attrs{{"value", value}, {"shape", std::vector<int64_t>{}},
              {"dtype", std::string(dtype_name(like.dtype()))}};
  return Var(ctx, ctx->emit(def, attrs, {})[0]);
}

Var zeros_like(const Var& like) { return broadcast_to(scalar_like(like, 0.0), like.shape()); }

Var cast(const Var& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  return call("cast", {x}, {{"dtype", std::string(dtype_name(dtype))}});
}

Var reshape(const Var& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return call("reshape", {x}, {{"shape", shape.vec()}});
}

Var broadcast_to(const Var& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return call("broadcast_to", {x}, {{"shape", shape.vec()}});
}

Var sum_to(const Var& grad, const Shape& shape) {
  const Shape& from = grad.shape();
  if (from == shape) return grad;
  std::vector<int64_t> axes;
  const int lead = from.rank() - shape.rank();
  for (int i = 0; i < from.rank(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && from[i] != 1)) axes.push_back(i);
  }
  Var summed = axes.empty() ? grad
                            : call("sum", {grad}, {{"axes", axes}, {"keepdims", true}});
  return reshape(summed, shape);
}

}  // namespace kiln
