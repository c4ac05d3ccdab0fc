// Checks the gradient rules of the reduce, movement and index families by a
// directional derivative: for L(x) = sum(dy * f(x)) and random directions v_i
// on the float inputs, the rule's sum_i <grad_i, v_i> must match the central
// difference (L(x + h v) - L(x - h v)) / 2h. Rules run on a small eager
// GradContext that executes the ops they emit on the CPU backend.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/core/error.h"
#include "kernels/op_def.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::from_values;
using testing::random_tensor;
using testing::run_op;
using Ints = std::vector<int64_t>;

struct Value final : GradValue {
  explicit Value(Tensor t) : tensor(std::move(t)) {}
  TensorMeta meta() const override { return tensor.meta(); }
  Tensor tensor;
};
Tensor tensor_of(const ValueRef& v) { return static_cast<const Value&>(*v).tensor; }
ValueRef value(const Tensor& t) { return std::make_shared<Value>(t); }

class EagerGradContext final : public GradContext {
 public:
  EagerGradContext(const Attrs& attrs, const std::vector<Tensor>& in, const Tensor& out,
                   const Tensor& dy)
      : attrs_(attrs), out_(value(out)), dy_(value(dy)), grads_(in.size()) {
    for (const Tensor& t : in) in_.push_back(value(t));
  }
  const Attrs& attrs() const override { return attrs_; }
  int num_inputs() const override { return static_cast<int>(in_.size()); }
  ValueRef input(int i) const override { return in_[i]; }
  ValueRef output(int) const override { return out_; }
  ValueRef output_grad(int) const override { return dy_; }
  bool needs_input_grad(int i) const override { return in_[i]->meta().dtype == DType::kFloat32; }
  void set_input_grad(int i, ValueRef grad) override { grads_[i] = std::move(grad); }
  std::vector<ValueRef> emit(const OpDef& op, const Attrs& attrs,
                             const std::vector<ValueRef>& in) override {
    std::vector<Tensor> tensors;
    for (const ValueRef& v : in) tensors.push_back(tensor_of(v));
    std::vector<ValueRef> out;
    for (const Tensor& t : run_op(op.name, tensors, attrs)) out.push_back(value(t));
    return out;
  }
  const std::vector<ValueRef>& grads() const { return grads_; }

 private:
  Attrs attrs_;
  std::vector<ValueRef> in_;
  ValueRef out_, dy_;
  std::vector<ValueRef> grads_;
};

double dot(const Tensor& a_in, const Tensor& b_in) {
  const Tensor a = a_in.contiguous(), b = b_in.contiguous();
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += double(a.data<float>()[i]) * b.data<float>()[i];
  return s;
}

Tensor shifted(const Tensor& x, const Tensor& v, double h) {
  Tensor out = x.clone();
  for (int64_t i = 0; i < out.numel(); ++i) out.data<float>()[i] += float(h) * v.data<float>()[i];
  return out;
}

void check_grad(const std::string& op, const std::vector<Tensor>& in, const Attrs& given,
                double h = 1e-3) {
  SCOPED_TRACE(op + " {" + given.str() + "}");
  const OpDef& def = get_op(op);
  ASSERT_TRUE(def.differentiable());
  const Attrs attrs = def.complete_attrs(given);
  const Tensor y = run_op(op, in, attrs)[0];
  const Tensor dy = random_tensor(y.shape(), 99);
  EagerGradContext ctx(attrs, in, y, dy);
  def.grad(ctx);
  double analytic = 0;
  std::vector<Tensor> dirs(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i].dtype() != DType::kFloat32) continue;
    dirs[i] = random_tensor(in[i].shape(), 100 + i);
    ASSERT_TRUE(ctx.grads()[i] != nullptr) << "no gradient for input " << i;
    const Tensor g = tensor_of(ctx.grads()[i]);
    ASSERT_EQ(g.meta(), in[i].meta()) << "input " << i;
    analytic += dot(g, dirs[i]);
  }
  auto loss = [&](double step) {
    std::vector<Tensor> moved;
    for (size_t i = 0; i < in.size(); ++i)
      moved.push_back(dirs[i].defined() ? shifted(in[i], dirs[i], step) : in[i]);
    return dot(run_op(op, moved, attrs)[0], dy);
  };
  const double numeric = (loss(h) - loss(-h)) / (2 * h);
  EXPECT_NEAR(analytic, numeric, 2e-3 * (1 + std::abs(numeric)));
}

Tensor ints(const Shape& shape, const std::vector<float>& v) {
  return run_op("cast", {from_values(shape, v)}, {{"dtype", std::string("int32")}})[0];
}
Attrs reduce(const Ints& axes, bool keepdims) { return {{"axes", axes}, {"keepdims", keepdims}}; }

TEST(DataOpsGrad, Reduce) {
  // Distinct values 0.05 apart, so a step of h = 1e-3 never changes the max.
  std::vector<float> v;
  for (int i = 0; i < 120; ++i) v.push_back(float(i * 37 % 120) * 0.05f - 3);
  const Tensor x = from_values({4, 5, 6}, v);
  for (const Ints& axes : {Ints{}, Ints{1}, Ints{0, 2}, Ints{-1}}) {
    for (bool keep : {false, true}) {
      for (const char* op : {"sum", "mean", "max", "min"}) check_grad(op, {x}, reduce(axes, keep));
      check_grad("prod", {random_tensor({4, 5, 6}, 2, 0.5f, 1.5f)}, reduce(axes, keep));
    }
  }
  // Ties share the gradient: d max / d x = 1/2 for each of two equal maxima.
  const Tensor t = from_values({3}, {2, 2, 1});
  EagerGradContext ctx(get_op("max").complete_attrs({}), {t}, run_op("max", {t})[0],
                       from_values({}, {1}));
  get_op("max").grad(ctx);
  const Tensor g = tensor_of(ctx.grads()[0]);
  EXPECT_EQ(g.data<float>()[0], 0.5f);
  EXPECT_EQ(g.data<float>()[2], 0.0f);
  EXPECT_FALSE(get_op("argmax").differentiable());
  EXPECT_FALSE(get_op("one_hot").differentiable());
}

TEST(DataOpsGrad, Movement) {
  const Tensor x = random_tensor({4, 5, 6}, 3);
  check_grad("reshape", {x}, {{"shape", Ints{20, -1}}});
  check_grad("broadcast_to", {random_tensor({5, 1}, 4)}, {{"shape", Ints{3, 5, 7}}});
  check_grad("transpose", {x}, {{"perm", Ints{2, 0, 1}}});
  const Attrs s{
      {"axes", Ints{0, 2}}, {"starts", Ints{3, 1}}, {"stops", Ints{-1, 6}}, {"steps", Ints{-2, 2}}};
  check_grad("slice", {x}, s);
  Attrs b = s;
  b.set("shape", x.shape().vec());
  check_grad("slice_backward", {random_tensor({2, 5, 3}, 5)}, b);
  check_grad("concat", {x, random_tensor({4, 2, 6}, 6), x}, {{"axis", int64_t{1}}});
  check_grad("pad", {x}, {{"pads", Ints{1, 0, 0, 2, 3, 1}}, {"value", 0.5}});
  check_grad("copy", {x.permute({1, 0, 2})}, {});
}

TEST(DataOpsGrad, Index) {
  const Tensor x = random_tensor({4, 5}, 7);
  const Tensor idx = ints({3, 2}, {4, 0, 1, 1, 3, 2});  // repeats within a row
  check_grad("gather", {x, idx}, {{"axis", int64_t{1}}});
  check_grad("scatter_add", {x, idx, random_tensor({3, 4}, 8)}, {{"axis", int64_t{1}}});
  // scatter's src gradient is exact only without repeated targets.
  check_grad("scatter", {x, ints({3, 2}, {4, 0, 1, 2, 3, 2}), random_tensor({3, 4}, 9)},
             {{"axis", int64_t{1}}});
  check_grad("scatter",
             {x, ints({2, 5}, {3, 0, 1, 2, 3, 0, 1, 3, 0, 1}), random_tensor({3, 5}, 10)},
             {{"axis", int64_t{0}}});
  const Tensor rows = ints({6}, {3, -1, 0, 0, 2, 3});
  check_grad("index_select", {x, rows}, {{"axis", int64_t{0}}});
  check_grad("index_add", {x, rows, random_tensor({6, 5}, 11)}, {{"axis", int64_t{0}}});
}

}  // namespace
}  // namespace kiln
