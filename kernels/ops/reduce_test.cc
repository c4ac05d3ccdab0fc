#include "kernels/ops/reduce.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::expect_cpu_matches_reference;
using testing::from_values;
using testing::random_tensor;
using testing::run_op;

using Ints = std::vector<int64_t>;

Attrs axes_attrs(const Ints& axes, bool keepdims = false) {
  return {{"axes", axes}, {"keepdims", keepdims}};
}

Tensor to_int(const Tensor& x) { return run_op("cast", {x}, {{"dtype", std::string("int32")}})[0]; }

// Errors name the op and the input shape and carry the expected kind.
TEST(Reduce, CpuMatchesReferenceOverAxesAndShapes) {
  const std::vector<std::pair<Shape, std::vector<Ints>>> cases = {
      {{64, 256}, {{}, {0}, {1}, {-1}}},
      {{37, 1001}, {{0}, {1}, {}}},
      {{2, 3, 4, 5}, {{0, 2}, {1, 3}, {0, 3}, {1, 2}, {0, 1, 3}, {2}, {}}},
      {{3, 1, 5}, {{1}, {0, 1}, {2}}},
      {{1, 1}, {{0}, {}}},
      {{}, {{}}},
      {{0, 3}, {{1}, {0}, {}}},
      {{3, 0, 2}, {{0}, {2}, {0, 2}}},
      {{3, 70000}, {{1}, {0}}},
      {{200003}, {{0}}},
      {{5, 7, 6}, {{0, 2}}},
  };
  for (const auto& [shape, axes_list] : cases) {
    const Tensor x = random_tensor(shape, 11, -2.0f, 2.0f);
    const Tensor xi = random_tensor(shape, 12, -50.0f, 50.0f, DType::kInt32);
    for (const Ints& axes : axes_list) {
      for (bool keep : {false, true}) {
        const Attrs a = axes_attrs(axes, keep);
        expect_cpu_matches_reference("sum", {x}, a, 1e-4, 1e-4);
        expect_cpu_matches_reference("mean", {x}, a, 1e-4, 1e-5);
        expect_cpu_matches_reference("sum", {xi}, a);
        expect_cpu_matches_reference("prod", {xi}, a);
        if (x.numel() > 0 || shape.rank() == 0) {
          expect_cpu_matches_reference("prod", {random_tensor(shape, 13, 0.9f, 1.1f)}, a, 1e-4);
        }
        const bool empty_axis = [&] {
          for (int64_t d : shape)
            if (d == 0) return true;
          return false;
        }();
        if (empty_axis) continue;  // max/min of no elements is an error
        for (const char* op : {"max", "min"}) {
          expect_cpu_matches_reference(op, {x}, a);
          expect_cpu_matches_reference(op, {xi}, a);
        }
      }
    }
  }
}

TEST(Reduce, PermutedInputsMatchReference) {
  const Tensor x = random_tensor({33, 65, 7}, 21);
  const Tensor p = x.permute({2, 0, 1});
  for (const Ints& axes : std::vector<Ints>{{0}, {1}, {2}, {0, 2}, {}}) {
    for (const char* op : {"sum", "mean", "max", "min"})
      expect_cpu_matches_reference(op, {p}, axes_attrs(axes), 1e-4, 1e-5);
  }
}

TEST(Reduce, ArgMaxArgMinMatchReference) {
  for (const Shape& shape :
       {Shape{37, 1001}, Shape{1000, 3}, Shape{4, 130, 9}, Shape{1}, Shape{5, 1}}) {
    const Tensor x = random_tensor(shape, 31);
    const Tensor xi = random_tensor(shape, 32, -5.0f, 5.0f, DType::kInt32);  // many ties
    Dims reversed;
    for (int d = shape.rank() - 1; d >= 0; --d) reversed.push_back(d);
    for (int64_t axis = -shape.rank(); axis < shape.rank(); ++axis) {
      for (bool keep : {false, true}) {
        const Attrs a{{"axis", axis}, {"keepdims", keep}};
        for (const char* op : {"argmax", "argmin"}) {
          expect_cpu_matches_reference(op, {x}, a);
          expect_cpu_matches_reference(op, {xi}, a);
          expect_cpu_matches_reference(op, {x.permute(reversed)}, a);
        }
      }
    }
  }
  expect_cpu_matches_reference("argmax", {random_tensor({0, 4}, 1)}, {{"axis", int64_t{1}}});
}

TEST(Reduce, HandCheckedValues) {
  const Tensor x = from_values({2, 3}, {1, 5, -2, 4, 4, 0});
  auto values = [](const Tensor& t) {
    std::vector<float> v;
    for (int64_t i = 0; i < t.numel(); ++i)
      v.push_back(t.dtype() == DType::kInt32 ? float(t.data<int32_t>()[i]) : t.data<float>()[i]);
    return v;
  };
  for (Backend b : {Backend::kCpu, Backend::kReference}) {
    EXPECT_EQ(values(run_op("sum", {x}, axes_attrs({1}), b)[0]), (std::vector<float>{4, 8}));
    EXPECT_EQ(values(run_op("sum", {x}, {}, b)[0]), (std::vector<float>{12}));
    EXPECT_EQ(values(run_op("mean", {x}, axes_attrs({0}), b)[0]),
              (std::vector<float>{2.5, 4.5, -1}));
    EXPECT_EQ(values(run_op("max", {x}, axes_attrs({1}), b)[0]), (std::vector<float>{5, 4}));
    EXPECT_EQ(values(run_op("min", {x}, axes_attrs({0}), b)[0]), (std::vector<float>{1, 4, -2}));
    EXPECT_EQ(values(run_op("prod", {x}, axes_attrs({1}), b)[0]), (std::vector<float>{-10, 0}));
    EXPECT_EQ(values(run_op("argmax", {x}, {{"axis", int64_t{1}}}, b)[0]),
              (std::vector<float>{1, 0}));
    EXPECT_EQ(values(run_op("argmin", {x}, {{"axis", int64_t{0}}}, b)[0]),
              (std::vector<float>{0, 1, 0}));
    const Tensor kept = run_op("sum", {x}, axes_attrs({1}, true), b)[0];
    EXPECT_EQ(kept.shape(), Shape({2, 1}));
    // Empty reductions: sum 0, prod 1, mean nan.
    const Tensor e = random_tensor({0, 3}, 1);
    EXPECT_EQ(values(run_op("sum", {e}, axes_attrs({0}), b)[0]), (std::vector<float>{0, 0, 0}));
    EXPECT_EQ(values(run_op("prod", {e}, {}, b)[0]), (std::vector<float>{1}));
    EXPECT_TRUE(std::isnan(values(run_op("mean", {e}, {}, b)[0])[0]));
    EXPECT_EQ(run_op("max", {e}, axes_attrs({1}), b)[0].shape(), Shape({0}));
    // nan propagates through max/min and wins argmax; ties keep the first index.
    const Tensor n = from_values({4}, {1, NAN, 3, NAN});
    EXPECT_TRUE(std::isnan(values(run_op("max", {n}, {}, b)[0])[0]));
    EXPECT_TRUE(std::isnan(values(run_op("min", {n}, {}, b)[0])[0]));
    EXPECT_EQ(values(run_op("argmax", {n}, {{"axis", int64_t{0}}}, b)[0]), (std::vector<float>{1}));
    const Tensor ties = from_values({2, 2}, {7, 7, 7, 7});
    EXPECT_EQ(values(run_op("argmax", {ties}, {{"axis", int64_t{0}}}, b)[0]),
              (std::vector<float>{0, 0}));
    // int32 sums wrap modulo 2^32.
    const Tensor big = to_int(from_values({2}, {2147483520.0f, 1024.0f}));
    EXPECT_EQ(run_op("sum", {big}, {}, b)[0].data<int32_t>()[0], int32_t(2147483520u + 1024u));
  }
}

TEST(Reduce, BadInputsNameOpShapeAndExpectation) {
  const Tensor x = random_tensor({2, 3}, 1);
  testing::expect_error(ErrorKind::kIndex, [&] { run_op("sum", {x}, axes_attrs({2})); },
                        {"sum", "(2, 3)", "axis 2"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("max", {x}, axes_attrs({1, -1}));
                        },
                        {"max", "(2, 3)", "distinct"});
  testing::expect_error(ErrorKind::kType, [&] { run_op("mean", {to_int(x)}); },
                        {"mean", "int32", "float32"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("max", {random_tensor({0, 3}, 1)}, axes_attrs({0}));
                        },
                        {"max", "(0, 3)", "non-empty"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("argmin", {random_tensor({2, 0}, 1)}, {{"axis", int64_t{1}}});
                        },
                        {"argmin", "(2, 0)"});
  testing::expect_error(ErrorKind::kValue, [&] { run_op("argmax", {x}); }, {"argmax", "axis"});
  testing::expect_error(ErrorKind::kType,
                        [&] {
                          run_op("sum", {x}, {{"axes", int64_t{1}}});
                        },
                        {"sum", "axes"});
  const Tensor b = run_op("cast", {x}, {{"dtype", std::string("bool")}})[0];
  testing::expect_error(ErrorKind::kType, [&] { run_op("sum", {b}); }, {"sum", "bool"});
}

}  // namespace
}  // namespace kiln
