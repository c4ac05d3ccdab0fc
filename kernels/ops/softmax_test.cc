#include "kernels/ops/softmax.h"

#include <gtest/gtest.h>

#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::expect_cpu_matches_reference;
using testing::random_tensor;
using testing::run_op;

TEST(Softmax, CpuMatchesReferenceOnEveryAxis) {
  const std::vector<Shape> shapes = {{7},       {1, 1},   {3, 10}, {2, 3, 4, 5},
                                     {1, 1000}, {64, 33}, {0, 5}};
  uint64_t seed = 1;
  for (const Shape& s : shapes) {
    for (int64_t axis = -s.rank(); axis < s.rank(); ++axis) {
      const Attrs attrs{{"axis", axis}};
      SCOPED_TRACE(str_cat(s.str(), " axis=", axis));
      const Tensor x = random_tensor(s, seed++, -8, 8), dy = random_tensor(s, seed++);
      for (const char* op : {"softmax", "log_softmax"}) {
        // oneDNN's vectorised exp/log are a few ulps off: about 1e-6 absolute.
        expect_cpu_matches_reference(op, {x}, attrs, 1e-5, 1e-5);
        const Tensor y = run_op(op, {x}, attrs)[0];
        expect_cpu_matches_reference(std::string(op) + "_backward", {y, dy}, attrs, 1e-4, 1e-5);
      }
    }
  }
}

TEST(Softmax, LargeInputsDoNotOverflow) {
  const Tensor x = testing::from_values({1, 3}, {1000, 1001, 1002});
  const Tensor y = run_op("softmax", {x})[0];
  const Tensor ly = run_op("log_softmax", {x})[0];
  EXPECT_NEAR(y.data<float>()[2], 0.66524096f, 1e-6);
  EXPECT_NEAR(ly.data<float>()[0], -2.40760596f, 1e-5);
}

TEST(Softmax, BadInputsNameOpShapesAndExpectation) {
  testing::expect_op_error("softmax", {random_tensor({2, 3}, 1)}, {{"axis", int64_t{2}}},
                           ErrorKind::kIndex, {});
  testing::expect_op_error("softmax_backward", {random_tensor({2, 3}, 1), random_tensor({3, 2}, 2)},
                           {}, ErrorKind::kValue, {"(2, 3)", "(3, 2)"});
  testing::expect_op_error("log_softmax", {random_tensor({2, 3}, 1, -3, 3, DType::kInt32)}, {},
                           ErrorKind::kType, {"int32"});
}

}  // namespace
}  // namespace kiln
