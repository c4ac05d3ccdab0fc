// Checks the gradient rules of matmul, conv2d, pooling, the norms and softmax
// by a directional derivative: for L(x) = sum(dy * f(x)[0]) and random
// directions v_i, the rule's sum_i <grad_i, v_i> must match the central
// difference (L(x + h v) - L(x - h v)) / 2h. The rules run on a small eager
// GradContext that executes emitted ops on the CPU backend.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/core/error.h"
#include "kernels/op_def.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::random_tensor;
using testing::run_op;

class Value final : public GradValue {
 public:
  explicit Value(Tensor t) : tensor(std::move(t)) {}
  TensorMeta meta() const override { return tensor.meta(); }
  Tensor tensor;
};

Tensor tensor_of(const ValueRef& v) { return static_cast<const Value&>(*v).tensor; }

class EagerGradContext final : public GradContext {
 public:
  EagerGradContext(const Attrs& attrs, const std::vector<Tensor>& inputs,
                   const std::vector<Tensor>& outputs, const Tensor& dy)
      : attrs_(attrs), grads_(inputs.size()) {
    for (const Tensor& t : inputs) inputs_.push_back(std::make_shared<Value>(t));
    for (const Tensor& t : outputs) outputs_.push_back(std::make_shared<Value>(t));
    dy_ = std::make_shared<Value>(dy);
  }
  const Attrs& attrs() const override { return attrs_; }
  int num_inputs() const override { return static_cast<int>(inputs_.size()); }
  ValueRef input(int i) const override { return inputs_[i]; }
  ValueRef output(int i) const override { return outputs_[i]; }
  ValueRef output_grad(int i) const override { return i == 0 ? dy_ : nullptr; }
  bool needs_input_grad(int) const override { return true; }
  void set_input_grad(int i, ValueRef grad) override { grads_[i] = std::move(grad); }
  std::vector<ValueRef> emit(const OpDef& op, const Attrs& attrs,
                             const std::vector<ValueRef>& inputs) override {
    std::vector<Tensor> in;
    for (const ValueRef& v : inputs) in.push_back(tensor_of(v));
    std::vector<ValueRef> out;
    for (Tensor& t : run_op(op.name, in, attrs)) out.push_back(std::make_shared<Value>(t));
    return out;
  }
  const std::vector<ValueRef>& grads() const { return grads_; }

 private:
  Attrs attrs_;
  std::vector<ValueRef> inputs_, outputs_, grads_;
  ValueRef dy_;
};

double dot(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  double s = 0;
  for (int64_t i = 0; i < ca.numel(); ++i)
    s += static_cast<double>(ca.data<float>()[i]) * cb.data<float>()[i];
  return s;
}

Tensor axpy(const Tensor& x, double h, const Tensor& v) {
  Tensor out = x.clone();
  for (int64_t i = 0; i < out.numel(); ++i)
    out.data<float>()[i] += static_cast<float>(h * v.data<float>()[i]);
  return out;
}

// `differentiable`: indices of the inputs the rule must give gradients for.
void check_grad(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs,
                const std::vector<int>& differentiable, double h = 1e-2, double tol = 2e-3) {
  SCOPED_TRACE(str_cat(op, " {", attrs.str(), "}"));
  const OpDef& def = get_op(op);
  const Attrs full = def.complete_attrs(attrs);
  const std::vector<Tensor> outputs = run_op(op, inputs, full);
  const Tensor dy = random_tensor(outputs[0].shape(), 99);
  EagerGradContext ctx(full, inputs, outputs, dy);
  def.grad(ctx);

  std::vector<Tensor> plus = inputs, minus = inputs;
  double analytic = 0;
  for (int i : differentiable) {
    ASSERT_NE(ctx.grads()[i], nullptr) << "no gradient for input " << i;
    const Tensor g = tensor_of(ctx.grads()[i]);
    ASSERT_EQ(g.meta(), inputs[i].meta()) << "gradient of input " << i;
    const Tensor v = random_tensor(inputs[i].shape(), 1000 + i);
    analytic += dot(g, v);
    plus[i] = axpy(inputs[i], h, v);
    minus[i] = axpy(inputs[i], -h, v);
  }
  const double numeric =
      (dot(dy, run_op(op, plus, full)[0]) - dot(dy, run_op(op, minus, full)[0])) / (2 * h);
  EXPECT_NEAR(analytic, numeric, tol * (1 + std::abs(numeric)))
      << "analytic " << analytic << " numeric " << numeric;
}

bool has_op(const char* name) { return op_table().find(name) != nullptr; }

TEST(NnGrad, MatmulAllTransposes) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const Tensor a = random_tensor(ta ? Shape{5, 3} : Shape{3, 5}, 1);
      const Tensor b = random_tensor(tb ? Shape{4, 5} : Shape{5, 4}, 2);
      check_grad("matmul", {a, b}, {{"transpose_a", ta}, {"transpose_b", tb}}, {0, 1});
    }
}

TEST(NnGrad, MatmulBroadcastBatch) {
  if (!has_op("sum") || !has_op("reshape")) GTEST_SKIP() << "needs the reduce/movement ops";
  check_grad("matmul", {random_tensor({2, 1, 3, 4}, 1), random_tensor({3, 4, 2}, 2)},
             {{"transpose_a", false}}, {0, 1});
  check_grad("matmul", {random_tensor({2, 4, 3}, 1), random_tensor({5, 4}, 2)},
             {{"transpose_a", true}, {"transpose_b", true}}, {0, 1});
}

TEST(NnGrad, Conv2d) {
  const std::vector<int64_t> s2{2, 2}, p1{1, 1};
  check_grad("conv2d", {random_tensor({2, 4, 7, 6}, 1), random_tensor({6, 2, 3, 3}, 2)},
             {{"stride", s2}, {"padding", p1}, {"groups", int64_t{2}}}, {0, 1});
  check_grad("conv2d", {random_tensor({1, 16, 5, 5}, 1), random_tensor({16, 16, 3, 3}, 2)},
             {{"padding", p1}}, {0, 1});
  if (!has_op("sum")) GTEST_SKIP() << "the bias gradient needs the reduce ops";
  check_grad(
      "conv2d",
      {random_tensor({2, 3, 5, 5}, 1), random_tensor({4, 3, 3, 3}, 2), random_tensor({4}, 3)}, {},
      {0, 1, 2});
}

// The fused forms: relu masks dy; a matmul bias sums dy over rows.
TEST(NnGrad, FusedBiasAndRelu) {
  if (!has_op("sum") || !has_op("relu_grad")) GTEST_SKIP() << "needs the reduce ops";
  check_grad(
      "conv2d",
      {random_tensor({2, 3, 5, 5}, 1), random_tensor({4, 3, 3, 3}, 2), random_tensor({4}, 3)},
      {{"relu", true}}, {0, 1, 2}, 1e-3);
  // A capped relu passes dy only where 0 < y < relu_max.
  check_grad(
      "conv2d",
      {random_tensor({2, 3, 5, 5}, 1), random_tensor({4, 3, 3, 3}, 2), random_tensor({4}, 3)},
      {{"relu", true}, {"relu_max", 0.7}}, {0, 1, 2}, 1e-3);
  // A residual input gets dy (masked by the relu).
  check_grad("conv2d",
             {random_tensor({2, 3, 5, 5}, 1), random_tensor({4, 3, 3, 3}, 2), random_tensor({4}, 3),
              random_tensor({2, 4, 5, 5}, 4)},
             {{"relu", true}, {"residual", true}, {"padding", std::vector<int64_t>{1, 1}}},
             {0, 1, 2, 3}, 1e-3);
  // NHWC: the bias gradient sums over (n, h, w), the first three axes.
  check_grad(
      "conv2d",
      {random_tensor({2, 5, 5, 3}, 1), random_tensor({4, 3, 3, 3}, 2), random_tensor({4}, 3)},
      {{"relu", true}, {"format", std::string("NHWC")}}, {0, 1, 2}, 1e-3);
  check_grad("matmul",
             {random_tensor({2, 3, 4}, 4), random_tensor({5, 4}, 5), random_tensor({5}, 6)},
             {{"transpose_b", true}, {"relu", true}}, {0, 1, 2}, 1e-3);
  check_grad("matmul", {random_tensor({3, 4}, 7), random_tensor({4, 2}, 8), random_tensor({2}, 9)},
             {}, {0, 1, 2});
}

TEST(NnGrad, Pooling) {
  const std::vector<int64_t> k3{3, 3}, s2{2, 2}, p1{1, 1};
  const Tensor x = random_tensor({2, 3, 7, 6}, 1);
  check_grad("max_pool2d", {x}, {{"kernel", k3}, {"stride", s2}, {"padding", p1}}, {0}, 1e-3);
  check_grad("max_pool2d", {x},
             {{"kernel", k3}, {"stride", s2}, {"padding", p1}, {"format", std::string("NHWC")}},
             {0}, 1e-3);
  for (bool include : {false, true})
    check_grad("avg_pool2d", {x},
               {{"kernel", k3}, {"stride", s2}, {"padding", p1}, {"count_include_pad", include}},
               {0});
}

TEST(NnGrad, Norms) {
  const Tensor x = random_tensor({3, 4, 5, 2}, 1, -2, 2), w = random_tensor({4}, 2);
  const Tensor b = random_tensor({4}, 3), rm = random_tensor({4}, 4),
               rv = random_tensor({4}, 5, 0.5, 2);
  for (bool training : {true, false})
    check_grad("batch_norm", {x, w, b, rm, rv}, {{"training", training}}, {0, 1, 2}, 1e-3, 1e-2);
  const Tensor lw = random_tensor({5, 2}, 6), lb = random_tensor({5, 2}, 7);
  check_grad("layer_norm", {x, lw, lb}, {{"normalized_ndim", int64_t{2}}}, {0, 1, 2}, 1e-3, 1e-2);
}

TEST(NnGrad, Softmax) {
  const Tensor x = random_tensor({3, 4, 5}, 1, -3, 3);
  for (int64_t axis : {-1, 1, 0}) {
    check_grad("softmax", {x}, {{"axis", axis}}, {0}, 1e-3, 1e-2);
    check_grad("log_softmax", {x}, {{"axis", axis}}, {0}, 1e-3, 1e-2);
  }
}

}  // namespace
}  // namespace kiln
