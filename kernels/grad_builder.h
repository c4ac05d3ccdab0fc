// Small helpers that let gradient rules read like math:
//   Var x = input(ctx, 0), dy = output_grad(ctx, 0);
//   set_grad(ctx, 0, dy * call("cos", {x}));
#pragma once

#include <string>
#include <vector>

#include "kernels/grad.h"
#include "kernels/op_def.h"

namespace kiln {

class Var {
 public:
  Var() = default;
  Var(GradContext* ctx, ValueRef ref) : ctx_(ctx), ref_(std::move(ref)) {}
  bool defined() const { return ref_ != nullptr; }
  TensorMeta meta() const { return ref_->meta(); }
  Shape shape() const { return meta().shape; }
  DType dtype() const { return meta().dtype; }
  const ValueRef& ref() const { return ref_; }
  GradContext* ctx() const { return ctx_; }

 private:
  GradContext* ctx_ = nullptr;
  ValueRef ref_;
};

Var input(GradContext& ctx, int i);
Var output(GradContext& ctx, int i);
Var output_grad(GradContext& ctx, int i);  // may be undefined
// Output i's gradient, or zeros of its meta when none flows into it.
Var output_grad_or_zeros(GradContext& ctx, int i);
// Sets input i's gradient if it is needed; undefined grads are skipped.
void set_grad(GradContext& ctx, int i, const Var& grad);

std::vector<Var> call_multi(const std::string& op, const std::vector<Var>& inputs,
                            const Attrs& attrs = {});
Var call(const std::string& op, const std::vector<Var>& inputs, const Attrs& attrs = {});

Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& a);

// A scalar (shape ()) of `like`'s dtype; broadcasts in binary ops.
Var scalar_like(const Var& like, double value);
Var zeros_like(const Var& like);
Var cast(const Var& x, DType dtype);
Var reshape(const Var& x, const Shape& shape);
// Sums a broadcast gradient back down to `shape` (numpy broadcasting rules).
Var sum_to(const Var& grad, const Shape& shape);
// Broadcasts x to `shape` (materialised by the op).
Var broadcast_to(const Var& x, const Shape& shape);

}  // namespace kiln
