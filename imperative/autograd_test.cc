#include "imperative/autograd.h"

#include <gtest/gtest.h>

#include "imperative/grad_manager.h"
#include "imperative/tracer.h"
#include "kernels/core/error.h"

namespace kiln {
namespace imperative {
namespace {

HandlePtr values(const Shape& shape, std::vector<float> v) {
  Tensor t = Tensor::empty(shape, DType::kFloat32);
  for (size_t i = 0; i < v.size(); ++i) t.data<float>()[i] = v[i];
  return make_handle(t);
}

HandlePtr op(const char* name, const HandleList& in, const Attrs& attrs = {}) {
  return imperative::apply(OpCall::make(name, attrs), in)[0];
}

TEST(Autograd, GradientsOfAProductAccumulateAcrossBackwards) {
  HandlePtr x = values({3}, {1, 2, 3}), w = values({3}, {4, 5, 6});
  GradManager gm;
  gm.attach({x});
  for (int round = 0; round < 2; ++round) {
    gm.record();
    HandlePtr y = op("sum", {op("mul", {x, w})});
    gm.backward(HandleList{y}, HandleList{nullptr});
  }
  ASSERT_NE(x->grad, nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(x->grad->value().data<float>()[i], 2 * (4 + i));
  EXPECT_EQ(w->grad, nullptr);  // not attached
  EXPECT_FALSE(is_recording());
}

TEST(Autograd, NonScalarWithoutDyAndNothingRecordedAreErrors) {
  HandlePtr x = values({2}, {1, 2});
  GradManager gm;
  gm.attach({x});
  gm.record();
  EXPECT_THROW(gm.backward(HandleList{op("mul", {x, x})}, HandleList{nullptr}), Error);
  HandlePtr unrelated = values({1}, {1});
  EXPECT_THROW(gm.backward(HandleList{unrelated}, HandleList{nullptr}), Error);
  gm.release();
}

TEST(Tracer, ClassifiesArgumentsStateAndConstants) {
  HandlePtr param = values({2}, {1, 2});
  HandlePtr arg = values({2}, {3, 4});
  Tracer tracer(/*symbolic=*/true, /*capture_as_const=*/false);
  tracer.begin();
  tracer.add_argument(arg, "x", 0);
  HandlePtr scale = values({}, {2});  // made inside: a constant
  HandlePtr y = op("mul", {op("add", {arg, param}), scale});
  EXPECT_FALSE(y->value().defined());  // symbolic: metas only
  param->assign(*op("sub", {param, scale}));
  tracer.add_output(y, "y");
  const graph::Graph g = tracer.finish();
  EXPECT_EQ(g.inputs().size(), 1u);
  EXPECT_EQ(g.states().size(), 1u);
  EXPECT_EQ(g.state_updates().size(), 1u);
  EXPECT_EQ(g.nodes().size(), 3u);
  // Symbolic traces give state back its pre-trace value.
  EXPECT_FLOAT_EQ(param->value().data<float>()[1], 2.0f);
  EXPECT_EQ(active_tracer(), nullptr);
}

}  // namespace
}  // namespace imperative
}  // namespace kiln
