#include "kernels/ops/conv2d.h"

#include <gtest/gtest.h>

#include <algorithm>

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

struct Case {
  Shape x;
  int64_t out_channels, kh, kw;
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups;
};

Attrs conv_attrs(const Case& c) {
  return {
      {"stride", c.stride}, {"padding", c.padding}, {"dilation", c.dilation}, {"groups", c.groups}};
}

// Forward (with and without bias) and both backward ops, cpu vs reference.
void check_case(const Case& c, uint64_t seed) {
  SCOPED_TRACE(str_cat("x ", c.x.str(), " o=", c.out_channels, " k=", c.kh, "x", c.kw, " ",
                       conv_attrs(c).str()));
  const Shape w_shape{c.out_channels, c.x[1] / c.groups, c.kh, c.kw};
  const Tensor x = random_tensor(c.x, seed), w = random_tensor(w_shape, seed + 1);
  const Tensor b = random_tensor({c.out_channels}, seed + 2);
  const Attrs attrs = conv_attrs(c);
  expect_cpu_matches_reference("conv2d", {x, w}, attrs, 1e-4, 1e-5);
  expect_cpu_matches_reference("conv2d", {x, w, b}, attrs, 1e-4, 1e-5);
  const Tensor y = run_op("conv2d", {x, w}, attrs)[0];
  const Tensor dy = random_tensor(y.shape(), seed + 3);
  Attrs data_attrs = attrs;
  data_attrs.set("input_shape", c.x.vec());
  expect_cpu_matches_reference("conv2d_backward_data", {dy, w}, data_attrs, 1e-4, 1e-5);
  Attrs weight_attrs = attrs;
  weight_attrs.set("weight_shape", w_shape.vec());
  expect_cpu_matches_reference("conv2d_backward_weight", {dy, x}, weight_attrs, 1e-4, 1e-4);
}

// The case in NHWC (all three ops, bias and fused relu): cpu matches the
// reference, and both equal the NCHW results transposed.
void check_nhwc_case(const Case& c, uint64_t seed) {
  SCOPED_TRACE(str_cat("NHWC: x ", c.x.str(), " o=", c.out_channels, " k=", c.kh, "x", c.kw, " ",
                       conv_attrs(c).str()));
  const Shape w_shape{c.out_channels, c.x[1] / c.groups, c.kh, c.kw};
  const Tensor x = random_tensor(c.x, seed), w = random_tensor(w_shape, seed + 1);
  const Tensor b = random_tensor({c.out_channels}, seed + 2);
  const Tensor xt = to_nhwc(x);
  const Attrs nchw = conv_attrs(c);
  Attrs nhwc = nchw;
  nhwc.set("format", std::string("NHWC"));
  Attrs relu_nchw = nchw, relu_nhwc = nhwc;
  relu_nchw.set("relu", true);
  relu_nhwc.set("relu", true);
  expect_cpu_matches_reference("conv2d", {xt, w, b}, relu_nhwc, 1e-4, 1e-5);
  const Tensor y = run_op("conv2d", {x, w, b}, relu_nchw)[0];
  EXPECT_TRUE(all_close(to_nchw(run_op("conv2d", {xt, w, b}, relu_nhwc)[0]), y, 1e-4, 1e-5));

  const Tensor dy = random_tensor(y.shape(), seed + 3), dyt = to_nhwc(dy);
  Attrs data_nchw = nchw, data_nhwc = nhwc;
  data_nchw.set("input_shape", x.shape().vec());
  data_nhwc.set("input_shape", xt.shape().vec());
  expect_cpu_matches_reference("conv2d_backward_data", {dyt, w}, data_nhwc, 1e-4, 1e-5);
  EXPECT_TRUE(all_close(to_nchw(run_op("conv2d_backward_data", {dyt, w}, data_nhwc)[0]),
                        run_op("conv2d_backward_data", {dy, w}, data_nchw)[0], 1e-4, 1e-5));
  Attrs weight_nchw = nchw, weight_nhwc = nhwc;
  weight_nchw.set("weight_shape", w_shape.vec());
  weight_nhwc.set("weight_shape", w_shape.vec());
  expect_cpu_matches_reference("conv2d_backward_weight", {dyt, xt}, weight_nhwc, 1e-4, 1e-4);
  EXPECT_TRUE(all_close(run_op("conv2d_backward_weight", {dyt, xt}, weight_nhwc)[0],
                        run_op("conv2d_backward_weight", {dy, x}, weight_nchw)[0], 1e-4, 1e-4));
}

TEST(Conv2d, ChannelsLastMatchesReferenceAndNchw) {
  check_nhwc_case({{2, 3, 8, 8}, 8, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1}, 31);
  check_nhwc_case({{1, 4, 7, 9}, 6, 3, 2, {2, 3}, {0, 2}, {2, 1}, 1}, 32);
  check_nhwc_case({{2, 17, 6, 6}, 19, 3, 3, {2, 2}, {1, 1}, {1, 1}, 1}, 33);
  check_nhwc_case({{1, 32, 8, 8}, 32, 3, 3, {1, 1}, {1, 1}, {1, 1}, 32}, 34);  // depthwise
  check_nhwc_case({{2, 24, 5, 5}, 16, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1}, 35);   // pointwise
  check_nhwc_case({{1, 32, 7, 7}, 17, 1, 1, {2, 2}, {0, 0}, {1, 1}, 1}, 36);
  check_nhwc_case({{3, 4, 8, 8}, 6, 3, 3, {2, 2}, {1, 1}, {1, 1}, 2}, 37);  // grouped
}

TEST(Conv2d, FewChannelsMatchReference) {
  check_case({{2, 3, 8, 8}, 8, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1}, 1);
  check_case({{1, 1, 1, 1}, 1, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1}, 2);
  check_case({{1, 4, 7, 9}, 6, 3, 2, {2, 3}, {0, 2}, {2, 1}, 1}, 3);
  check_case({{3, 4, 8, 8}, 6, 3, 3, {2, 2}, {1, 1}, {1, 1}, 2}, 4);
  check_case({{2, 5, 6, 5}, 5, 3, 3, {1, 1}, {1, 1}, {1, 1}, 5}, 5);  // depthwise
  check_case({{1, 3, 8, 8}, 6, 3, 3, {2, 2}, {0, 0}, {1, 1}, 1}, 6);  // stride leaves a row
}

TEST(Conv2d, ManyChannelsMatchReference) {
  check_case({{1, 16, 9, 7}, 32, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1}, 11);
  check_case({{2, 17, 6, 6}, 19, 3, 3, {2, 2}, {1, 1}, {1, 1}, 1}, 12);   // padded blocks
  check_case({{1, 32, 8, 8}, 32, 3, 3, {1, 1}, {1, 1}, {1, 1}, 32}, 13);  // depthwise
  check_case({{1, 32, 8, 8}, 64, 3, 3, {1, 1}, {2, 2}, {2, 2}, 2}, 14);
  check_case({{1, 64, 14, 14}, 64, 3, 3, {2, 2}, {1, 1}, {1, 1}, 1}, 16);
}

TEST(Conv2d, PointwiseMatchesReference) {  // 1x1 convs run on plain NCHW primitives
  check_case({{2, 24, 5, 5}, 16, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1}, 21);
  check_case({{1, 3, 4, 6}, 40, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1}, 22);
  check_case({{1, 32, 7, 7}, 17, 1, 1, {2, 2}, {0, 0}, {1, 1}, 1}, 23);
  check_case({{1, 32, 4, 4}, 32, 1, 1, {1, 1}, {1, 1}, {1, 1}, 1}, 24);  // padded: blocked
  check_case({{2, 32, 4, 4}, 32, 1, 1, {1, 1}, {0, 0}, {1, 1}, 4}, 25);  // grouped: blocked
}

// A prepared kernel keeps its primitive and reorder buffers; each run must
// still read the tensors it is given.
TEST(Conv2d, PreparedKernelFollowsNewTensorsOnEveryRun) {
  for (const int64_t channels : {4, 32}) {
    const OpDef& op = get_op("conv2d");
    const Attrs attrs = op.complete_attrs({{"padding", std::vector<int64_t>{1, 1}}});
    const std::vector<TensorMeta> in = {{DType::kFloat32, {2, channels, 6, 6}},
                                        {DType::kFloat32, {8, channels, 3, 3}},
                                        {DType::kFloat32, {8}}};
    const std::vector<TensorMeta> out = op.infer_outputs(attrs, in);
    auto kernel = op.prepare(Backend::kCpu, attrs, in, out);
    for (uint64_t seed = 0; seed < 3; ++seed) {
      Tensor inputs[3] = {random_tensor(in[0].shape, seed), random_tensor(in[1].shape, seed + 10),
                          random_tensor(in[2].shape, seed + 20)};
      Tensor y = Tensor::empty(out[0]);
      kernel->run(inputs, &y);
      const Tensor want =
          run_op("conv2d", {inputs[0], inputs[1], inputs[2]}, attrs, Backend::kReference)[0];
      EXPECT_TRUE(testing::all_close(y, want, 1e-4, 1e-5)) << "channels " << channels;
    }
  }
}

TEST(Conv2d, ConstantWeightsArePackedOnceAndReusedAcrossRuns) {
  const OpDef& op = get_op("conv2d");
  const Attrs attrs = op.complete_attrs({{"padding", std::vector<int64_t>{1, 1}}});
  const std::vector<TensorMeta> in = {{DType::kFloat32, {1, 16, 8, 8}},
                                      {DType::kFloat32, {16, 16, 3, 3}}};
  const std::vector<TensorMeta> out = op.infer_outputs(attrs, in);
  auto kernel = op.prepare(Backend::kCpu, attrs, in, out, /*constant_inputs=*/0b10);
  const Tensor w = random_tensor(in[1].shape, 5);
  for (uint64_t seed = 0; seed < 3; ++seed) {
    Tensor inputs[2] = {random_tensor(in[0].shape, seed), w};
    Tensor y = Tensor::empty(out[0]);
    kernel->run(inputs, &y);
    const Tensor want = run_op("conv2d", {inputs[0], w}, attrs, Backend::kReference)[0];
    EXPECT_TRUE(testing::all_close(y, want, 1e-4, 1e-5)) << "run " << seed;
  }
}

TEST(Conv2d, EmptyBatch) {
  const Tensor x = random_tensor({0, 3, 5, 5}, 1), w = random_tensor({4, 3, 3, 3}, 2);
  EXPECT_EQ(run_op("conv2d", {x, w})[0].shape(), Shape({0, 4, 3, 3}));
  const Tensor dy = random_tensor({0, 4, 3, 3}, 3);
  const Tensor dw = run_op("conv2d_backward_weight", {dy, x},
                           {{"weight_shape", std::vector<int64_t>{4, 3, 3, 3}}})[0];
  for (int64_t i = 0; i < dw.numel(); ++i) EXPECT_EQ(dw.data<float>()[i], 0.0f);
}

// The fused form bias + relu (what graph::BiasActivationFusion emits): both
// backends agree, and equal conv2d followed by relu.
TEST(Conv2d, FusedReluMatchesReferenceAndTheUnfusedOps) {
  const Case cases[] = {{{2, 3, 8, 8}, 8, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1},
                        {{1, 16, 9, 7}, 32, 3, 3, {2, 2}, {1, 1}, {1, 1}, 1},
                        {{2, 24, 5, 5}, 16, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1},
                        {{1, 32, 8, 8}, 32, 3, 3, {1, 1}, {1, 1}, {1, 1}, 32}};
  uint64_t seed = 300;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.x.str());
    const Tensor x = random_tensor(c.x, seed++);
    const Tensor w = random_tensor({c.out_channels, c.x[1] / c.groups, c.kh, c.kw}, seed++);
    const Tensor b = random_tensor({c.out_channels}, seed++);
    Attrs attrs = conv_attrs(c);
    attrs.set("relu", true);
    expect_cpu_matches_reference("conv2d", {x, w}, attrs, 1e-4, 1e-5);
    expect_cpu_matches_reference("conv2d", {x, w, b}, attrs, 1e-4, 1e-5);
    const Tensor want = run_op("relu", {run_op("conv2d", {x, w, b}, conv_attrs(c))[0]})[0];
    const Tensor got = run_op("conv2d", {x, w, b}, attrs)[0];
    EXPECT_TRUE(testing::all_close(got, want, 1e-4, 1e-5));
    double min = 0;
    for (int64_t i = 0; i < got.numel(); ++i) min = std::min<double>(min, got.data<float>()[i]);
    EXPECT_EQ(min, 0.0);
    // Capped (ReLU6-style, here at 0.5 so that the cap bites): min(relu(y), cap).
    Attrs capped = attrs;
    capped.set("relu_max", 0.5);
    expect_cpu_matches_reference("conv2d", {x, w, b}, capped, 1e-4, 1e-5);
    const Tensor cap = testing::from_values({}, {0.5f});
    EXPECT_TRUE(testing::all_close(run_op("conv2d", {x, w, b}, capped)[0],
                                   run_op("minimum", {want, cap})[0], 1e-4, 1e-5));
  }
}

// The residual form (what graph::ResidualAddFusion emits): both backends
// agree, in both formats, with and without bias and relu, and equal conv2d
// followed by add and relu.
TEST(Conv2d, FusedResidualMatchesReferenceAndTheUnfusedOps) {
  const Case cases[] = {{{2, 3, 8, 8}, 8, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1},
                        {{1, 16, 9, 7}, 32, 3, 3, {2, 2}, {1, 1}, {1, 1}, 1},
                        {{2, 24, 5, 5}, 16, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1},
                        {{1, 32, 8, 8}, 32, 3, 3, {1, 1}, {1, 1}, {1, 1}, 32}};
  uint64_t seed = 400;
  for (const Case& c : cases)
    for (const char* format : {"NCHW", "NHWC"})
      for (bool relu : {false, true}) {
        SCOPED_TRACE(str_cat(c.x.str(), " ", format, relu ? " relu" : ""));
        const bool nhwc = std::string(format) == "NHWC";
        const Tensor x0 = random_tensor(c.x, seed++);
        const Tensor x = nhwc ? to_nhwc(x0) : x0;
        const Tensor w = random_tensor({c.out_channels, c.x[1] / c.groups, c.kh, c.kw}, seed++);
        const Tensor b = random_tensor({c.out_channels}, seed++);
        Attrs plain = conv_attrs(c);
        plain.set("format", std::string(format));
        const Tensor y = run_op("conv2d", {x, w, b}, plain)[0];
        const Tensor r = random_tensor(y.shape(), seed++);
        Attrs fused = plain;
        fused.set("residual", true);
        fused.set("relu", relu);
        expect_cpu_matches_reference("conv2d", {x, w, r}, fused, 1e-4, 1e-5);
        expect_cpu_matches_reference("conv2d", {x, w, b, r}, fused, 1e-4, 1e-5);
        Tensor want = run_op("add", {y, r})[0];
        if (relu) want = run_op("relu", {want})[0];
        EXPECT_TRUE(testing::all_close(run_op("conv2d", {x, w, b, r}, fused)[0], want, 1e-4, 1e-5));
      }
}

// The planner may give the output the residual's buffer: the kernel then
// accumulates in place, and must not clear what it adds.
TEST(Conv2d, ResidualMayShareTheOutputBuffer) {
  const OpDef& op = get_op("conv2d");
  const Attrs attrs = op.complete_attrs({{"padding", std::vector<int64_t>{1, 1}},
                                         {"residual", true},
                                         {"format", std::string("NHWC")}});
  const Tensor x = random_tensor({2, 6, 6, 8}, 1), w = random_tensor({8, 8, 3, 3}, 2);
  const Tensor r = random_tensor({2, 6, 6, 8}, 3);
  EXPECT_EQ(op.in_place_input(attrs, 3), 2);
  auto kernel = op.prepare(Backend::kCpu, attrs, {x.meta(), w.meta(), r.meta()}, {r.meta()});
  const Tensor want = run_op("conv2d", {x, w, r}, attrs, Backend::kReference)[0];
  Tensor shared = r.clone();
  Tensor inputs[3] = {x, w, shared};
  kernel->run(inputs, &shared);
  EXPECT_TRUE(testing::all_close(shared, want, 1e-4, 1e-5));
}

TEST(Conv2d, BadInputsNameOpShapesAndExpectation) {
  const Tensor x = random_tensor({1, 4, 5, 5}, 1), w = random_tensor({6, 4, 3, 3}, 2);
  testing::expect_op_error("conv2d", {random_tensor({4, 5, 5}, 1), w}, {}, ErrorKind::kValue,
                           {"(4, 5, 5)", "4-d"});
  testing::expect_op_error("conv2d", {x, random_tensor({6, 3, 3, 3}, 2)}, {}, ErrorKind::kValue,
                           {"(1, 4, 5, 5)", "(6, 3, 3, 3)", "in_channels / groups = 4"});
  testing::expect_op_error("conv2d", {x, random_tensor({6, 2, 3, 3}, 2)}, {{"groups", int64_t{3}}},
                           ErrorKind::kValue, {"divisible by groups"});
  testing::expect_op_error("conv2d", {x, w, random_tensor({5}, 3)}, {}, ErrorKind::kValue,
                           {"bias", "(5,)", "(6,)"});
  testing::expect_op_error("conv2d", {x, random_tensor({6, 4, 7, 7}, 2)}, {}, ErrorKind::kValue,
                           {"(6, 4, 7, 7)", "smaller than the dilated kernel"});
  testing::expect_op_error("conv2d", {x, w}, {{"stride", std::vector<int64_t>{1}}},
                           ErrorKind::kValue, {"stride", "2 values"});
  testing::expect_op_error("conv2d", {x, w}, {{"stride", std::vector<int64_t>{0, 1}}},
                           ErrorKind::kValue, {"stride", ">= 1"});
  testing::expect_op_error("conv2d", {x, w}, {{"format", std::string("nhwc")}}, ErrorKind::kValue,
                           {"format", "'nhwc'", "'NCHW' or 'NHWC'"});
  // NHWC reads channels from the last dim: 5 here, not the weight's 4.
  testing::expect_op_error("conv2d", {x, w}, {{"format", std::string("NHWC")}}, ErrorKind::kValue,
                           {"in_channels / groups = 5"});
  testing::expect_op_error("conv2d", {x, w, random_tensor({1, 6, 3, 4}, 3)}, {{"residual", true}},
                           ErrorKind::kValue, {"residual", "(1, 6, 3, 4)", "(1, 6, 3, 3)"});
  testing::expect_op_error("conv2d", {x, w}, {{"residual", true}}, ErrorKind::kValue,
                           {"2 inputs", "and the residual"});
  testing::expect_op_error("conv2d", {x, w}, {{"relu_max", 6.0}}, ErrorKind::kValue,
                           {"relu_max is 6", "relu=false", "> 0 for a fused relu"});
  testing::expect_op_error("conv2d", {x, w}, {{"relu", true}, {"relu_max", 0.0}}, ErrorKind::kValue,
                           {"relu_max is 0"});
  testing::expect_op_error("conv2d", {x, w}, {{"relu", true}, {"relu_max", 1e300}},
                           ErrorKind::kValue, {"float32 bound"});
  testing::expect_op_error("conv2d", {x}, {}, ErrorKind::kValue, {"1 inputs"});
  testing::expect_op_error("conv2d", {x, w, random_tensor({6}, 3), x}, {}, ErrorKind::kValue,
                           {"4 inputs"});
  testing::expect_op_error("conv2d", {random_tensor({1, 4, 5, 5}, 1, -3, 3, DType::kInt32), w}, {},
                           ErrorKind::kType, {"int32"});
  testing::expect_op_error("conv2d_backward_data", {random_tensor({1, 6, 2, 2}, 1), w},
                           {{"input_shape", std::vector<int64_t>{1, 4, 5, 5}}}, ErrorKind::kValue,
                           {"(1, 6, 2, 2)", "(1, 6, 3, 3)"});
  testing::expect_op_error("conv2d_backward_weight", {random_tensor({1, 6, 3, 3}, 1), x},
                           {{"weight_shape", std::vector<int64_t>{6, 4, 3}}}, ErrorKind::kValue,
                           {"weight_shape", "4 values"});
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
TEST(Conv2d, HugeAttributesAreValueErrorsNotOverflows) {
  using Ints = std::vector<int64_t>;
  constexpr int64_t kBig = int64_t{1} << 62;
  const TensorMeta x{DType::kFloat32, {1, 4, 5, 5}}, w{DType::kFloat32, {6, 4, 3, 3}};
  expect_infer_error("conv2d", {x, w}, {{"padding", Ints{kBig, 0}}},
                     {"the total padding overflows", "2 * 4611686018427387904"});
  expect_infer_error("conv2d", {x, w}, {{"padding", Ints{0, kBig - 1}}},
                     {"the padded input size overflows", "5 + 9223372036854775806"});
  expect_infer_error("conv2d", {x, w}, {{"dilation", Ints{kBig, 1}}},
                     {"the dilated kernel size overflows", "4611686018427387904 * 2"});
  expect_infer_error("conv2d_backward_weight", {{DType::kFloat32, {1, 6, 1, 3}}, x},
                     {{"weight_shape", Ints{6, 4, kBig, 3}}, {"dilation", Ints{4, 1}}},
                     {"the dilated kernel size overflows"});
  // Weight dim 1 is compared with in_channels / groups: times groups it overflows.
  expect_infer_error("conv2d",
                     {{DType::kFloat32, {1, kBig, 5, 5}}, {DType::kFloat32, {kBig, 8, 3, 3}}},
                     {{"groups", kBig}}, {"in_channels / groups = 1"});
  // Large but representable: a valid (if unallocatable) shape; one whose
  // element count leaves int64 is refused.
  EXPECT_EQ(testing::infer("conv2d", {x, w}, {{"padding", Ints{kBig >> 6, 0}}})[0].shape,
            Shape({1, 6, (kBig >> 5) + 3, 3}));
  expect_infer_error(
      "conv2d", {x, w}, {{"padding", Ints{kBig >> 1, 0}}},
      {"output 0 would have shape (1, 6, 4611686018427387907, 3)", "product fits in int64"});
}

}  // namespace
}  // namespace kiln
