#include "kernels/ops/pool2d.h"

#include <gtest/gtest.h>

#include <limits>

#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using testing::all_close;
using testing::expect_cpu_matches_reference;
using testing::random_tensor;
using testing::run_op;
using testing::to_nchw;
using testing::to_nhwc;

using Ints = std::vector<int64_t>;

struct Case {
  Shape x;
  Ints kernel, stride, padding;
};

void check_case(const Case& c, uint64_t seed) {
  const Attrs base{{"kernel", c.kernel}, {"stride", c.stride}, {"padding", c.padding}};
  SCOPED_TRACE(str_cat("x ", c.x.str(), " ", base.str()));
  const Tensor x = random_tensor(c.x, seed);
  expect_cpu_matches_reference("max_pool2d", {x}, base);
  const Tensor y = run_op("max_pool2d", {x}, base)[0];
  const Tensor dy = random_tensor(y.shape(), seed + 1);
  expect_cpu_matches_reference("max_pool2d_backward", {x, dy}, base);
  for (bool include : {false, true}) {
    Attrs avg = base;
    avg.set("count_include_pad", include);
    expect_cpu_matches_reference("avg_pool2d", {x}, avg);
    avg.set("input_shape", c.x.vec());
    expect_cpu_matches_reference("avg_pool2d_backward", {dy}, avg);
  }
}

// The case in NHWC: cpu matches the reference, and both equal the NCHW
// results transposed.
void check_nhwc_case(const Case& c, uint64_t seed) {
  Attrs nchw{{"kernel", c.kernel}, {"stride", c.stride}, {"padding", c.padding}};
  SCOPED_TRACE(str_cat("NHWC: x ", c.x.str(), " ", nchw.str()));
  Attrs nhwc = nchw;
  nhwc.set("format", std::string("NHWC"));
  const Tensor x = random_tensor(c.x, seed), xt = to_nhwc(x);
  for (const char* op : {"max_pool2d", "avg_pool2d"}) {
    expect_cpu_matches_reference(op, {xt}, nhwc);
    EXPECT_TRUE(all_close(to_nchw(run_op(op, {xt}, nhwc)[0]), run_op(op, {x}, nchw)[0])) << op;
  }
  const Tensor y = run_op("max_pool2d", {x}, nchw)[0];
  const Tensor dy = random_tensor(y.shape(), seed + 1), dyt = to_nhwc(dy);
  expect_cpu_matches_reference("max_pool2d_backward", {xt, dyt}, nhwc);
  EXPECT_TRUE(all_close(to_nchw(run_op("max_pool2d_backward", {xt, dyt}, nhwc)[0]),
                        run_op("max_pool2d_backward", {x, dy}, nchw)[0]));
  nchw.set("input_shape", x.shape().vec());
  nhwc.set("input_shape", xt.shape().vec());
  expect_cpu_matches_reference("avg_pool2d_backward", {dyt}, nhwc);
  EXPECT_TRUE(all_close(to_nchw(run_op("avg_pool2d_backward", {dyt}, nhwc)[0]),
                        run_op("avg_pool2d_backward", {dy}, nchw)[0]));
}

TEST(Pool2d, ChannelsLastMatchesReferenceAndNchw) {
  check_nhwc_case({{2, 3, 8, 8}, {2, 2}, {2, 2}, {0, 0}}, 41);
  check_nhwc_case({{1, 16, 9, 9}, {3, 3}, {2, 2}, {1, 1}}, 42);
  check_nhwc_case({{3, 5, 6, 5}, {2, 3}, {3, 1}, {1, 2}}, 43);
  check_nhwc_case({{2, 4, 5, 7}, {5, 7}, {1, 1}, {0, 0}}, 44);  // global pooling
}

TEST(Pool2d, CpuMatchesReference) {
  check_case({{2, 3, 8, 8}, {2, 2}, {2, 2}, {0, 0}}, 1);
  check_case({{1, 16, 9, 9}, {3, 3}, {2, 2}, {1, 1}}, 2);  // ResNet stem pooling
  check_case({{1, 1, 7, 9}, {3, 2}, {1, 2}, {1, 0}}, 3);
  check_case({{3, 5, 6, 5}, {2, 3}, {3, 1}, {1, 2}}, 4);
  check_case({{1, 2, 1, 1}, {1, 1}, {1, 1}, {0, 0}}, 5);
  check_case({{2, 4, 5, 7}, {5, 7}, {1, 1}, {0, 0}}, 6);  // global pooling
  check_case({{1, 32, 13, 13}, {2, 2}, {2, 2}, {1, 1}}, 7);
}

TEST(Pool2d, StrideDefaultsToKernelAndAvgExcludesPaddingByDefault) {
  const Tensor x = testing::from_values({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor y = run_op("avg_pool2d", {x}, {{"kernel", Ints{2, 2}}, {"padding", Ints{1, 1}}})[0];
  ASSERT_EQ(y.shape(), Shape({1, 1, 2, 2}));  // windows of one element each
  EXPECT_FLOAT_EQ(y.data<float>()[0], 1.0f);
  EXPECT_FLOAT_EQ(y.data<float>()[3], 4.0f);
  const Tensor z =
      run_op("avg_pool2d", {x},
             {{"kernel", Ints{2, 2}}, {"padding", Ints{1, 1}}, {"count_include_pad", true}})[0];
  EXPECT_FLOAT_EQ(z.data<float>()[0], 0.25f);
  EXPECT_EQ(
      run_op("max_pool2d", {random_tensor({1, 1, 6, 6}, 1)}, {{"kernel", Ints{3, 3}}})[0].shape(),
      Shape({1, 1, 2, 2}));
}

TEST(Pool2d, EmptyBatch) {
  const Tensor x = random_tensor({0, 3, 4, 4}, 1);
  EXPECT_EQ(run_op("max_pool2d", {x}, {{"kernel", Ints{2, 2}}})[0].shape(), Shape({0, 3, 2, 2}));
  const Tensor dy = random_tensor({0, 3, 2, 2}, 2);
  EXPECT_EQ(run_op("max_pool2d_backward", {x, dy}, {{"kernel", Ints{2, 2}}})[0].shape(), x.shape());
}

TEST(Pool2d, BadInputsNameOpShapesAndExpectation) {
  const Tensor x = random_tensor({1, 2, 5, 5}, 1);
  testing::expect_op_error("max_pool2d", {random_tensor({2, 5, 5}, 1)}, {{"kernel", Ints{2, 2}}},
                           ErrorKind::kValue, {"(2, 5, 5)", "4-d"});
  testing::expect_op_error("avg_pool2d", {x}, {{"kernel", Ints{6, 2}}}, ErrorKind::kValue,
                           {"(1, 2, 5, 5)", "smaller than the kernel"});
  testing::expect_op_error("max_pool2d", {x}, {{"kernel", Ints{2, 2}}, {"padding", Ints{2, 0}}},
                           ErrorKind::kValue, {"padding < kernel"});
  testing::expect_op_error("max_pool2d", {x}, {{"kernel", Ints{2}}}, ErrorKind::kValue,
                           {"kernel", "2 values"});
  testing::expect_op_error("max_pool2d", {x}, {}, ErrorKind::kValue,
                           {"missing attribute 'kernel'"});
  testing::expect_op_error("max_pool2d_backward", {x, random_tensor({1, 2, 3, 3}, 2)},
                           {{"kernel", Ints{2, 2}}}, ErrorKind::kValue,
                           {"(1, 2, 3, 3)", "(1, 2, 2, 2)"});
  testing::expect_op_error("avg_pool2d_backward", {random_tensor({1, 2, 2, 2}, 2)},
                           {{"kernel", Ints{2, 2}}, {"input_shape", Ints{1, 2, 5}}},
                           ErrorKind::kValue, {"input_shape", "4 values"});
  testing::expect_op_error("avg_pool2d", {random_tensor({1, 2, 5, 5}, 1, -3, 3, DType::kInt32)},
                           {{"kernel", Ints{2, 2}}}, ErrorKind::kType, {"int32"});
}

void expect_infer_error(const std::string& op, const std::vector<TensorMeta>& in,
                        const Attrs& attrs, std::initializer_list<const char*> needles) {
  try {
    testing::infer(op, in, attrs);
    ADD_FAILURE() << op << " accepted bad inputs";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kValue) << e.what();
    const std::string msg = e.what();
    EXPECT_NE(msg.find(op), std::string::npos) << msg;
    for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
}

// Sizes far past any real model, as a hostile model file may hold, give
// ValueErrors naming the op and the values, never an int64 overflow.
TEST(Pool2d, HugeAttributesAreValueErrorsNotOverflows) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kBig = int64_t{1} << 62;
  const TensorMeta x{DType::kFloat32, {1, 2, 5, 5}};
  expect_infer_error("max_pool2d", {x}, {{"kernel", Ints{kMax, 2}}, {"padding", Ints{kBig, 0}}},
                     {"the total padding overflows", "2 * 4611686018427387904"});
  expect_infer_error("avg_pool2d", {x}, {{"kernel", Ints{2, kMax}}, {"padding", Ints{0, kMax / 2}}},
                     {"the padded input size overflows"});
  expect_infer_error("avg_pool2d_backward", {{DType::kFloat32, {1, 2, 1, 1}}},
                     {{"kernel", Ints{2, 2}}, {"input_shape", Ints{1, -kBig, 2, 2}}},
                     {"(1, -4611686018427387904, 2, 2)", "sizes >= 0"});
  // Large but representable: a valid (if unallocatable) shape.
  EXPECT_EQ(
      testing::infer(
          "max_pool2d", {x},
          {{"kernel", Ints{kBig, 1}}, {"stride", Ints{1, 1}}, {"padding", Ints{kBig / 2, 0}}})[0]
          .shape,
      Shape({1, 2, 6, 5}));
}

}  // namespace
}  // namespace kiln
