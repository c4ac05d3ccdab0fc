#include "kernels/ops/layer_norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::expect_cpu_matches_reference;
using testing::random_tensor;
using testing::run_op;

void check_case(const Shape& x_shape, int64_t nd, uint64_t seed) {
  SCOPED_TRACE(str_cat(x_shape.str(), " normalized_ndim=", nd));
  Shape inner;
  for (int d = x_shape.rank() - static_cast<int>(nd); d < x_shape.rank(); ++d)
    inner.push_back(x_shape[d]);
  const Tensor x = random_tensor(x_shape, seed, -2, 3), w = random_tensor(inner, seed + 1);
  const Tensor b = random_tensor(inner, seed + 2);
  const Attrs attrs{{"normalized_ndim", nd}, {"eps", 1e-5}};
  expect_cpu_matches_reference("layer_norm", {x, w, b}, attrs, 1e-4, 1e-5);
  const std::vector<Tensor> out = run_op("layer_norm", {x, w, b}, attrs);
  const Tensor dy = random_tensor(x_shape, seed + 3);
  expect_cpu_matches_reference("layer_norm_backward", {dy, x, w, out[1], out[2]},
                               {{"normalized_ndim", nd}}, 1e-3, 1e-4);
}

TEST(LayerNorm, CpuMatchesReference) {
  check_case({4, 7}, 1, 1);
  check_case({1, 1}, 1, 2);
  check_case({2, 3, 5}, 2, 3);
  check_case({3, 4, 5}, 3, 4);
  check_case({1, 768}, 1, 5);
  check_case({256, 257}, 1, 6);  // big enough for the parallel path
  check_case({2, 128, 130}, 1, 7);
  check_case({0, 16}, 1, 8);
}

TEST(LayerNorm, LargeMeanSmallSpreadStaysAccurate) {
  const Tensor x = random_tensor({16, 300}, 1, 1000, 1001), w = random_tensor({300}, 2);
  const Tensor b = random_tensor({300}, 3);
  expect_cpu_matches_reference("layer_norm", {x, w, b}, {}, 1e-3, 1e-3);
}

TEST(LayerNorm, OutputsMeanAndRstdOfTheLeadingShape) {
  const Tensor x = testing::from_values({1, 4}, {1, 2, 3, 6});
  const Tensor w = testing::from_values({4}, {1, 1, 1, 1}),
               b = testing::from_values({4}, {0, 0, 0, 0});
  const auto out = run_op("layer_norm", {x, w, b}, {{"eps", 0.0}});
  EXPECT_EQ(out[1].shape(), Shape({1}));
  EXPECT_FLOAT_EQ(out[1].data<float>()[0], 3.0f);
  EXPECT_FLOAT_EQ(out[2].data<float>()[0], 1.0f / std::sqrt(3.5f));
}

TEST(LayerNorm, BadInputsNameOpShapesAndExpectation) {
  const Tensor x = random_tensor({2, 3, 4}, 1), w = random_tensor({4}, 2);
  testing::expect_op_error("layer_norm", {x, random_tensor({3}, 2), random_tensor({3}, 3)}, {},
                           ErrorKind::kValue, {"weight", "(3,)", "(4,)", "(2, 3, 4)"});
  testing::expect_op_error("layer_norm", {x, w, random_tensor({5}, 3)}, {}, ErrorKind::kValue,
                           {"bias", "(5,)"});
  testing::expect_op_error("layer_norm", {x, w, w}, {{"normalized_ndim", int64_t{4}}},
                           ErrorKind::kValue, {"normalized_ndim", "(2, 3, 4)"});
  testing::expect_op_error("layer_norm", {x, w, w}, {{"normalized_ndim", int64_t{0}}},
                           ErrorKind::kValue, {"normalized_ndim"});
  testing::expect_op_error("layer_norm_backward",
                           {x, x, w, random_tensor({2}, 4), random_tensor({2, 3}, 5)}, {},
                           ErrorKind::kValue, {"mean", "(2,)", "(2, 3)"});
  testing::expect_op_error("layer_norm", {random_tensor({2, 4}, 1, -3, 3, DType::kInt32), w, w}, {},
                           ErrorKind::kType, {"int32"});
}

}  // namespace
}  // namespace kiln
