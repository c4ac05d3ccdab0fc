#include "kernels/ops/elementwise.h"

#include <gtest/gtest.h>

#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::expect_cpu_matches_reference;
using testing::random_tensor;
using testing::run_op;

TEST(Elementwise, UnaryCpuMatchesReferenceOnOddAndStridedShapes) {
  for (const char* op : {"exp", "log1p", "sqrt", "tanh", "sigmoid", "erf", "abs", "relu", "square",
                         "neg", "floor", "round", "sign"}) {
    const bool positive = std::string(op) == "sqrt";
    Tensor x = random_tensor({37, 1001}, 1, positive ? 0.0f : -3.0f, 3.0f);
    expect_cpu_matches_reference(op, {x});
    expect_cpu_matches_reference(op, {x.permute({1, 0})});
    expect_cpu_matches_reference(op, {random_tensor({0, 3}, 2)});
  }
}

TEST(Elementwise, BinaryBroadcastingMatchesReference) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{64, 33}, {64, 33}}, {{64, 33}, {33}}, {{64, 1}, {1, 33}}, {{}, {5, 7}},
      {{2, 1, 3}, {4, 1}},  {{0, 3}, {3}},    {{1}, {1}},         {{300, 300}, {300, 1}}};
  for (const char* op : {"add", "sub", "mul", "div", "maximum", "minimum", "pow", "mod",
                         "floor_div", "less", "equal", "greater_equal"}) {
    for (const auto& [sa, sb] : cases) {
      Tensor a = random_tensor(sa, 3, 0.5f, 2.0f), b = random_tensor(sb, 4, 0.5f, 2.0f);
      expect_cpu_matches_reference(op, {a, b});
      expect_cpu_matches_reference(op, {b, a});
    }
  }
}

TEST(Elementwise, IntegerDivisionFollowsPythonAndNeverTraps) {
  Tensor a = testing::from_values({4}, {7, -7, 7, 5}), b = testing::from_values({4}, {2, 2, -2, 0});
  Tensor ai = run_op("cast", {a}, {{"dtype", std::string("int32")}})[0];
  Tensor bi = run_op("cast", {b}, {{"dtype", std::string("int32")}})[0];
  Tensor q = run_op("floor_div", {ai, bi})[0], r = run_op("mod", {ai, bi})[0];
  const int32_t want_q[] = {3, -4, -4, 0}, want_r[] = {1, 1, -1, 0};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(q.data<int32_t>()[i], want_q[i]);
    EXPECT_EQ(r.data<int32_t>()[i], want_r[i]);
  }
}

TEST(Elementwise, WhereAndCastMatchReference) {
  Tensor c = random_tensor({5, 1, 7}, 5, 0, 1, DType::kBool);
  expect_cpu_matches_reference("where", {c, random_tensor({6, 1}, 6), random_tensor({7}, 7)});
  Tensor x = random_tensor({100}, 8, -300.0f, 300.0f);
  for (const char* to : {"float16", "int32", "int8", "uint8", "bool"})
    expect_cpu_matches_reference("cast", {x}, {{"dtype", std::string(to)}});
}

TEST(Elementwise, BadInputsNameOpShapesAndExpectation) {
  try {
    run_op("add", {random_tensor({2, 3}, 1), random_tensor({4}, 1)});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kValue);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("add"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(4,)"), std::string::npos) << msg;
  }
  Tensor i = random_tensor({3}, 1, -5, 5, DType::kInt32);
  EXPECT_THROW(run_op("exp", {i}), Error);
  EXPECT_THROW(run_op("add", {i, random_tensor({3}, 1)}), Error);
}

}  // namespace
}  // namespace kiln
