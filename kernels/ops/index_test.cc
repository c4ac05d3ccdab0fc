#include "kernels/ops/index.h"

#include <gtest/gtest.h>

#include <limits>

#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::all_close;
using testing::expect_cpu_matches_reference;
using testing::from_values;
using testing::random_tensor;
using testing::run_op;
using Ints = std::vector<int64_t>;

Tensor cast_to(const Tensor& x, const char* dtype) {
  return run_op("cast", {x}, {{"dtype", std::string(dtype)}})[0];
}
Tensor ints(const Shape& shape, const std::vector<float>& v) {
  return cast_to(from_values(shape, v), "int32");
}
// Random indices in [lo, hi).
Tensor indices(const Shape& shape, int64_t lo, int64_t hi, uint64_t seed) {
  return random_tensor(shape, seed, float(lo), float(hi), DType::kInt32);
}
std::vector<float> values(const Tensor& t) {
  const Tensor f = cast_to(t, "float32");
  return std::vector<float>(f.data<float>(), f.data<float>() + f.numel());
}
Attrs axis(int64_t a) { return {{"axis", a}}; }

TEST(Index, GatherScatterMatchReference) {
  const Tensor x = random_tensor({6, 7, 9}, 1, -3, 3);
  for (int64_t ax = 0; ax < 3; ++ax) {
    for (const Shape& ishape :
         {Shape{6, 7, 9}, Shape{4, 5, 9}, Shape{6, 7, 3}, Shape{2, 1, 1}, Shape{0, 7, 9}}) {
      Shape is = ishape;
      is[ax] = ax == 1 ? 13 : is[ax];  // along the axis the index may be longer than x
      const Tensor index = indices(is, 0, x.shape()[ax], 2 + ax);
      const Tensor src = random_tensor(is, 3, -3, 3);
      for (const char* dtype : {"float32", "int32", "float16", "bool"}) {
        expect_cpu_matches_reference("gather", {cast_to(x, dtype), index}, axis(ax));
        expect_cpu_matches_reference("scatter", {cast_to(x, dtype), index, cast_to(src, dtype)},
                                     axis(ax));
      }
      for (const char* dtype : {"float32", "int32"})
        expect_cpu_matches_reference("scatter_add", {cast_to(x, dtype), index, cast_to(src, dtype)},
                                     axis(ax));
    }
  }
  // src larger than index; permuted x; negative axis; the last axis of a big tensor.
  const Tensor index = indices({6, 7, 2}, 0, 9, 4);
  expect_cpu_matches_reference("scatter_add", {x, index, random_tensor({6, 8, 5}, 5)}, axis(-1));
  expect_cpu_matches_reference("gather", {x.permute({0, 2, 1}).permute({0, 2, 1}), index}, axis(2));
  const Tensor big = random_tensor({3000, 41}, 6);
  expect_cpu_matches_reference("gather", {big, indices({3000, 1}, 0, 41, 7)}, axis(1));
  expect_cpu_matches_reference(
      "scatter_add", {big, indices({200, 41}, 0, 3000, 8), random_tensor({200, 41}, 9)}, axis(0));
}

TEST(Index, IndexSelectAddAndOneHotMatchReference) {
  const Tensor emb = random_tensor({1000, 64}, 1);
  const Tensor tokens = indices({5003}, -1000, 1000, 2);  // negatives count from the end
  expect_cpu_matches_reference("index_select", {emb, tokens}, axis(0));
  expect_cpu_matches_reference("index_add", {emb, tokens, random_tensor({5003, 64}, 3)}, axis(0),
                               1e-5, 1e-5);
  const Tensor x = random_tensor({5, 6, 7}, 4);
  for (int64_t ax = -3; ax < 3; ++ax) {
    const int64_t n = x.shape()[ax < 0 ? ax + 3 : ax];
    for (const Tensor& idx : {indices({9}, -n, n, 5), indices({0}, 0, 1, 6), ints({2}, {1, 1})}) {
      for (const char* dtype : {"float32", "int32", "float16", "bool"})
        expect_cpu_matches_reference("index_select", {cast_to(x, dtype), idx}, axis(ax));
      Shape s = x.shape();
      s[ax < 0 ? ax + 3 : ax] = idx.numel();
      for (const char* dtype : {"float32", "int32"})
        expect_cpu_matches_reference(
            "index_add", {cast_to(x, dtype), idx, cast_to(random_tensor(s, 7, -3, 3), dtype)},
            axis(ax));
    }
  }
  expect_cpu_matches_reference("index_select", {x.permute({2, 0, 1}), indices({4}, 0, 5, 8)},
                               axis(2));
  for (const Shape& s : {Shape{300, 7}, Shape{0}, Shape{}, Shape{1}})
    expect_cpu_matches_reference("one_hot", {indices(s, 0, 10, 9)}, {{"num_classes", int64_t{10}}});
}

TEST(Index, HandCheckedValues) {
  const Tensor x = from_values({2, 3}, {1, 2, 3, 4, 5, 6});
  for (Backend b : {Backend::kCpu, Backend::kReference}) {
    EXPECT_EQ(values(run_op("gather", {x, ints({2, 2}, {2, 0, 1, 1})}, axis(1), b)[0]),
              (std::vector<float>{3, 1, 5, 5}));
    EXPECT_EQ(values(run_op("gather", {x, ints({1, 3}, {1, 0, 1})}, axis(0), b)[0]),
              (std::vector<float>{4, 2, 6}));
    // Repeated targets: scatter keeps the last write, scatter_add sums.
    const Tensor idx = ints({1, 2}, {2, 2}), src = from_values({1, 2}, {10, 20});
    EXPECT_EQ(values(run_op("scatter", {x, idx, src}, axis(1), b)[0]),
              (std::vector<float>{1, 2, 20, 4, 5, 6}));
    EXPECT_EQ(values(run_op("scatter_add", {x, idx, src}, axis(1), b)[0]),
              (std::vector<float>{1, 2, 33, 4, 5, 6}));
    EXPECT_EQ(values(run_op("index_select", {x, ints({3}, {-1, 0, 0})}, axis(1), b)[0]),
              (std::vector<float>{3, 1, 1, 6, 4, 4}));
    EXPECT_EQ(
        values(run_op("index_add", {x, ints({2}, {0, 0}), from_values({2, 3}, {1, 1, 1, 2, 2, 2})},
                      axis(0), b)[0]),
        (std::vector<float>{4, 5, 6, 4, 5, 6}));
    const Tensor oh = run_op("one_hot", {ints({2}, {2, 0})}, {{"num_classes", int64_t{3}}}, b)[0];
    EXPECT_EQ(oh.shape(), Shape({2, 3}));
    EXPECT_EQ(values(oh), (std::vector<float>{0, 0, 1, 1, 0, 0}));
  }
}

TEST(Index, BadInputsNameOpValuesAndRange) {
  const Tensor x = random_tensor({2, 5}, 1);
  for (Backend b : {Backend::kCpu, Backend::kReference}) {
    testing::expect_error(ErrorKind::kIndex,
                          [&] {
                            run_op("gather", {x, ints({2, 2}, {0, 1, 5, 0})}, axis(1), b);
                          },
                          {"gather", "index 5", "(1, 0)", "(2, 5)", "0 <= index < 5"});
    testing::expect_error(ErrorKind::kIndex,
                          [&] {
                            run_op("scatter", {x, ints({1, 1}, {-1}), x}, axis(1), b);
                          },
                          {"scatter", "index -1", "0 <= index < 5"});
    testing::expect_error(ErrorKind::kIndex,
                          [&] {
                            run_op("index_select", {x, ints({2}, {0, -3})}, axis(0), b);
                          },
                          {"index_select", "index -3", "-2 <= index < 2"});
    testing::expect_error(
        ErrorKind::kIndex,
        [&] {
          run_op("index_add", {x, ints({1}, {2}), random_tensor({1, 5}, 1)}, axis(0), b);
        },
        {"index_add", "index 2"});
    testing::expect_error(
        ErrorKind::kIndex,
        [&] {
          run_op("one_hot", {ints({3}, {0, 1, 3})}, {{"num_classes", int64_t{3}}}, b);
        },
        {"one_hot", "index 3", "(2,)", "0 <= index < 3"});
  }
  testing::expect_error(ErrorKind::kType,
                        [&] {
                          run_op("gather", {x, x}, axis(0));
                        },
                        {"gather", "float32", "int32"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("gather", {x, ints({2}, {0, 0})}, axis(0));
                        },
                        {"gather", "(2, 5)", "(2,)", "rank"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("gather", {x, ints({1, 6}, {0, 0, 0, 0, 0, 0})}, axis(0));
                        },
                        {"gather", "(1, 6)", "(2, 5)", "dimension 1"});
  testing::expect_error(ErrorKind::kIndex,
                        [&] {
                          run_op("gather", {x, ints({1, 1}, {0})}, axis(2));
                        },
                        {"gather", "(2, 5)", "axis 2"});
  testing::expect_error(ErrorKind::kType,
                        [&] {
                          run_op("scatter", {x, ints({1, 1}, {0}), cast_to(x, "int32")}, axis(0));
                        },
                        {"scatter", "dtype"});
  testing::expect_error(
      ErrorKind::kValue,
      [&] {
        run_op("scatter", {x, ints({2, 2}, {0, 0, 0, 0}), random_tensor({2, 1}, 1)}, axis(0));
      },
      {"scatter", "src"});
  testing::expect_error(
      ErrorKind::kType,
      [&] {
        run_op("scatter_add", {cast_to(x, "bool"), ints({1, 1}, {0}), cast_to(x, "bool")});
      },
      {"scatter_add", "bool"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("index_select", {x, ints({1, 1}, {0})}, axis(0));
                        },
                        {"index_select", "1-d"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("index_add", {x, ints({1}, {0}), x}, axis(0));
                        },
                        {"index_add", "(2, 5)", "expected float32(1, 5)"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("one_hot", {ints({1}, {0})}, {{"num_classes", int64_t{0}}});
                        },
                        {"one_hot", "num_classes"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          testing::infer("one_hot", {{DType::kInt32, {1 << 20, 8}}},
                                         {{"num_classes", std::numeric_limits<int64_t>::max()}});
                        },
                        {"one_hot", "output 0 would have shape (1048576, 8, 9223372036854775807)"});
}

}  // namespace
}  // namespace kiln
