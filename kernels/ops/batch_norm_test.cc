#include "kernels/ops/batch_norm.h"

#include <gtest/gtest.h>

#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::expect_cpu_matches_reference;
using testing::random_tensor;
using testing::run_op;

void check_shape(const Shape& x_shape, uint64_t seed) {
  SCOPED_TRACE(x_shape.str());
  const int64_t c = x_shape[1];
  const Tensor x = random_tensor(x_shape, seed, -2, 3), w = random_tensor({c}, seed + 1);
  const Tensor b = random_tensor({c}, seed + 2);
  const Tensor mean = random_tensor({c}, seed + 3), var = random_tensor({c}, seed + 4, 0.5, 2);
  for (bool training : {true, false}) {
    SCOPED_TRACE(training ? "training" : "inference");
    const Attrs attrs{{"training", training}, {"eps", 1e-3}};
    expect_cpu_matches_reference("batch_norm", {x, w, b, mean, var}, attrs, 1e-4, 1e-5);
    const std::vector<Tensor> out = run_op("batch_norm", {x, w, b, mean, var}, attrs);
    const Tensor dy = random_tensor(x_shape, seed + 5);
    expect_cpu_matches_reference("batch_norm_backward", {dy, x, w, out[1], out[2]}, attrs, 1e-3,
                                 1e-4);
  }
}

TEST(BatchNorm, CpuMatchesReference) {
  check_shape({2, 3, 5, 7}, 1);
  check_shape({1, 16, 8, 8}, 2);
  check_shape({8, 5}, 3);      // (N, C)
  check_shape({1, 4}, 4);      // one value per channel: variance 0
  check_shape({3, 6, 11}, 5);  // (N, C, L)
  check_shape({4, 33, 3, 3}, 6);
}

TEST(BatchNorm, TrainingOutputsBiasedBatchStatisticsAndInferenceCopiesRunningOnes) {
  const Tensor x = testing::from_values({4, 1}, {1, 2, 3, 6});
  const Tensor one = testing::from_values({1}, {1}), zero = testing::from_values({1}, {0});
  const Tensor rm = testing::from_values({1}, {5}), rv = testing::from_values({1}, {4});
  auto out = run_op("batch_norm", {x, one, zero, rm, rv}, {{"training", true}});
  EXPECT_FLOAT_EQ(out[1].data<float>()[0], 3.0f);
  EXPECT_FLOAT_EQ(out[2].data<float>()[0], 3.5f);  // (4 + 1 + 0 + 9) / 4
  out = run_op("batch_norm", {x, one, zero, rm, rv}, {{"training", false}, {"eps", 0.0}});
  EXPECT_FLOAT_EQ(out[0].data<float>()[3], 0.5f);  // (6 - 5) / 2
  EXPECT_FLOAT_EQ(out[1].data<float>()[0], 5.0f);
  EXPECT_FLOAT_EQ(out[2].data<float>()[0], 4.0f);
}

TEST(BatchNorm, EmptyBatchInInference) {
  const Tensor x = random_tensor({0, 3, 2, 2}, 1), s = random_tensor({3}, 2, 0.5, 1);
  const auto out = run_op("batch_norm", {x, s, s, s, s});
  EXPECT_EQ(out[0].shape(), x.shape());
  EXPECT_FLOAT_EQ(out[1].data<float>()[2], s.data<float>()[2]);
}

TEST(BatchNorm, BadInputsNameOpShapesAndExpectation) {
  const Tensor x = random_tensor({2, 3, 4, 4}, 1), s = random_tensor({3}, 2);
  testing::expect_op_error("batch_norm", {x, random_tensor({4}, 2), s, s, s}, {}, ErrorKind::kValue,
                           {"weight", "(4,)", "(3,)", "(2, 3, 4, 4)"});
  testing::expect_op_error("batch_norm", {x, s, s, s, random_tensor({3, 1}, 2)}, {},
                           ErrorKind::kValue, {"running_var", "(3, 1)"});
  testing::expect_op_error("batch_norm", {random_tensor({3}, 1), s, s, s, s}, {}, ErrorKind::kValue,
                           {"(3,)", "rank >= 2"});
  testing::expect_op_error("batch_norm", {random_tensor({0, 3}, 1), s, s, s, s},
                           {{"training", true}}, ErrorKind::kValue, {"(0, 3)", "non-empty"});
  testing::expect_op_error("batch_norm", {x, s, s, s}, {}, ErrorKind::kValue,
                           {"4 inputs", "expected 5"});
  testing::expect_op_error("batch_norm", {x, s, s, s, s}, {{"eps", -1.0}}, ErrorKind::kValue,
                           {"eps"});
  testing::expect_op_error("batch_norm_backward", {random_tensor({2, 3, 4, 5}, 1), x, s, s, s}, {},
                           ErrorKind::kValue, {"dy", "(2, 3, 4, 5)", "(2, 3, 4, 4)"});
  testing::expect_op_error("batch_norm",
                           {random_tensor({2, 3}, 1, -3, 3, DType::kInt32), s, s, s, s}, {},
                           ErrorKind::kType, {"int32"});
}

}  // namespace
}  // namespace kiln
