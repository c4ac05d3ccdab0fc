#include "kernels/ops/matmul.h"

#include <gtest/gtest.h>

#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::expect_cpu_matches_reference;
using testing::random_tensor;
using testing::run_op;

Attrs transposes(bool ta, bool tb) { return {{"transpose_a", ta}, {"transpose_b", tb}}; }

// The stored shape of an operand whose logical (rows, cols) may be transposed.
Shape stored(Shape batch, int64_t rows, int64_t cols, bool t) {
  batch.push_back(t ? cols : rows);
  batch.push_back(t ? rows : cols);
  return batch;
}

TEST(Matmul, CpuMatchesReferenceForAllTransposesAndOddSizes) {
  const int64_t sizes[][3] = {{1, 1, 1},    {1, 7, 1},     {3, 5, 7},   {17, 33, 9},
                              {64, 64, 64}, {1, 300, 129}, {130, 1, 31}};
  uint64_t seed = 1;
  for (const auto& s : sizes) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        Tensor a = random_tensor(stored({}, s[0], s[1], ta), seed++);
        Tensor b = random_tensor(stored({}, s[1], s[2], tb), seed++);
        expect_cpu_matches_reference("matmul", {a, b}, transposes(ta, tb), 1e-4, 1e-5);
      }
    }
  }
}

TEST(Matmul, BatchDimsBroadcastNumpyStyle) {
  const std::vector<std::pair<Shape, Shape>> batches = {{{4}, {}},        {{}, {3}},
                                                        {{2, 3}, {2, 3}}, {{2, 1}, {1, 5}},
                                                        {{1, 1}, {3}},    {{4, 1, 2}, {1, 3, 1}},
                                                        {{1}, {1}},       {{5}, {1}}};
  uint64_t seed = 100;
  for (const auto& [ba, bb] : batches) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        Tensor a = random_tensor(stored(ba, 5, 6, ta), seed++);
        Tensor b = random_tensor(stored(bb, 6, 3, tb), seed++);
        expect_cpu_matches_reference("matmul", {a, b}, transposes(ta, tb), 1e-4, 1e-5);
      }
    }
  }
  // The two shapes of the brief: [B,M,K]x[K,N] and [B,1,M,K]x[H,K,N].
  expect_cpu_matches_reference(
      "matmul", {random_tensor({8, 16, 32}, 1), random_tensor({32, 24}, 2)}, {}, 1e-4, 1e-5);
  std::vector<Tensor> y =
      run_op("matmul", {random_tensor({2, 1, 4, 8}, 3), random_tensor({3, 8, 5}, 4)});
  EXPECT_EQ(y[0].shape(), Shape({2, 3, 4, 5}));
  expect_cpu_matches_reference(
      "matmul", {random_tensor({2, 1, 4, 8}, 3), random_tensor({3, 8, 5}, 4)}, {}, 1e-4, 1e-5);
}

TEST(Matmul, EmptyAndZeroInnerDimension) {
  Tensor y = run_op("matmul", {random_tensor({0, 4, 3}, 1), random_tensor({3, 2}, 2)})[0];
  EXPECT_EQ(y.shape(), Shape({0, 4, 2}));
  y = run_op("matmul", {random_tensor({4, 0}, 1), random_tensor({0, 2}, 2)})[0];
  ASSERT_EQ(y.shape(), Shape({4, 2}));
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(y.data<float>()[i], 0.0f);
  expect_cpu_matches_reference("matmul", {random_tensor({4, 0}, 1), random_tensor({0, 2}, 2)});
}

TEST(Matmul, KernelIsReusableAcrossRuns) {
  const OpDef& op = get_op("matmul");
  const Attrs attrs = op.complete_attrs({});
  const std::vector<TensorMeta> in = {{DType::kFloat32, {3, 4}}, {DType::kFloat32, {4, 5}}};
  const auto out = op.infer_outputs(attrs, in);
  auto kernel = op.prepare(Backend::kCpu, attrs, in, out);
  for (uint64_t seed = 0; seed < 3; ++seed) {
    Tensor inputs[2] = {random_tensor({3, 4}, seed), random_tensor({4, 5}, seed + 10)};
    Tensor y = Tensor::empty(out[0]);
    kernel->run(inputs, &y);
    Tensor want = run_op("matmul", {inputs[0], inputs[1]}, {}, Backend::kReference)[0];
    EXPECT_TRUE(testing::all_close(y, want, 1e-4, 1e-5));
  }
}

// The fused form bias + relu (what graph::BiasActivationFusion emits).
TEST(Matmul, BiasAndReluMatchReferenceAndTheUnfusedOps) {
  const int64_t sizes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 64, 64}, {2, 0, 5}};
  uint64_t seed = 500;
  for (const auto& s : sizes) {
    for (bool tb : {false, true}) {
      for (bool relu : {false, true}) {
        const Tensor a = random_tensor({s[0], s[1]}, seed++);
        const Tensor b = random_tensor(stored({}, s[1], s[2], tb), seed++);
        const Tensor bias = random_tensor({s[2]}, seed++);
        const Attrs attrs{{"transpose_b", tb}, {"relu", relu}};
        expect_cpu_matches_reference("matmul", {a, b, bias}, attrs, 1e-4, 1e-5);
        expect_cpu_matches_reference("matmul", {a, b}, attrs, 1e-4, 1e-5);
        Tensor want = run_op("add", {run_op("matmul", {a, b}, {{"transpose_b", tb}})[0], bias})[0];
        if (relu) want = run_op("relu", {want})[0];
        EXPECT_TRUE(testing::all_close(run_op("matmul", {a, b, bias}, attrs)[0], want, 1e-4, 1e-5));
      }
    }
  }
  // Batched operands: the bias broadcasts over batch dims and rows.
  expect_cpu_matches_reference(
      "matmul", {random_tensor({2, 3, 4, 8}, 1), random_tensor({8, 5}, 2), random_tensor({5}, 3)},
      {{"relu", true}}, 1e-4, 1e-5);
}

TEST(Matmul, BadShapesNameOpShapesAndExpectation) {
  testing::expect_op_error("matmul", {random_tensor({2, 3}, 1), random_tensor({4, 5}, 2)}, {},
                           ErrorKind::kValue, {"(2, 3)", "(4, 5)", "K=3", "K=4"});
  testing::expect_op_error("matmul", {random_tensor({3, 2}, 1), random_tensor({3, 5}, 2)},
                           transposes(false, false), ErrorKind::kValue, {"(3, 2)"});
  testing::expect_op_error("matmul", {random_tensor({3}, 1), random_tensor({3, 5}, 2)}, {},
                           ErrorKind::kValue, {"(3,)", "rank"});
  testing::expect_op_error("matmul", {random_tensor({2, 2, 3}, 1), random_tensor({3, 3, 5}, 2)}, {},
                           ErrorKind::kValue, {"(2, 2, 3)", "(3, 3, 5)", "broadcast"});
  testing::expect_op_error(
      "matmul", {random_tensor({2, 3}, 1, -5, 5, DType::kInt32), random_tensor({3, 5}, 2)}, {},
      ErrorKind::kType, {"int32"});
  testing::expect_op_error(
      "matmul", {random_tensor({2, 3}, 1), random_tensor({3, 5}, 2), random_tensor({3}, 3)}, {},
      ErrorKind::kValue, {"bias", "(3,)", "(5,)"});
  testing::expect_op_error("matmul", {random_tensor({2, 3}, 1)}, {}, ErrorKind::kValue,
                           {"1 inputs"});
}

}  // namespace
}  // namespace kiln
