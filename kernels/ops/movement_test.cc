#include "kernels/ops/movement.h"

#include <gtest/gtest.h>

#include <limits>
#include <utility>

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

std::vector<float> values(const Tensor& t) {
  const Tensor f = cast_to(t, "float32");
  return std::vector<float>(f.data<float>(), f.data<float>() + f.numel());
}

Attrs slice_attrs(const Ints& axes, const Ints& starts, const Ints& stops, const Ints& steps = {}) {
  return {{"axes", axes}, {"starts", starts}, {"stops", stops}, {"steps", steps}};
}

// cpu == reference for every dtype class, and the op's view (if any) equals
// the kernel's output.
void check(const std::string& op, const std::vector<Tensor>& in, const Attrs& attrs) {
  for (const char* dtype : {"float32", "int32", "float16", "bool"}) {
    std::vector<Tensor> cast;
    for (const Tensor& t : in) cast.push_back(cast_to(t, dtype));
    expect_cpu_matches_reference(op, cast, attrs);
  }
  const OpDef& def = get_op(op);
  if (def.view && (op != "reshape" || in[0].is_contiguous())) {
    const Tensor view = def.view(def.complete_attrs(attrs), in[0]);
    EXPECT_TRUE(view.shares_storage(in[0])) << op;
    EXPECT_TRUE(all_close(view, run_op(op, in, attrs)[0], 0, 1e-30)) << op << " " << attrs.str();
  }
}

// Errors carry the expected kind and name the op and the shapes.
TEST(Movement, ReshapeBroadcastCopy) {
  const Tensor x = random_tensor({37, 6, 5}, 1, -3, 3);
  for (const Ints& shape : {Ints{222, 5}, Ints{-1}, Ints{5, -1, 37}, Ints{1110, 1}}) {
    check("reshape", {x}, {{"shape", shape}});
    check("reshape", {x.permute({2, 0, 1})}, {{"shape", shape}});
  }
  check("reshape", {random_tensor({0, 4}, 2)}, {{"shape", Ints{4, 0, 3}}});
  check("reshape", {random_tensor({}, 2)}, {{"shape", Ints{1, 1}}});
  EXPECT_EQ(run_op("reshape", {x}, {{"shape", Ints{-1, 30}}})[0].shape(), Shape({37, 30}));
  for (const auto& [from, to] : std::vector<std::pair<Shape, Ints>>{{{3, 1}, {3, 1000}},
                                                                    {{1000}, {3, 1000}},
                                                                    {{}, {4, 5}},
                                                                    {{2, 1, 7}, {5, 2, 3, 7}},
                                                                    {{1, 3}, {0, 3}},
                                                                    {{1}, {1}}}) {
    check("broadcast_to", {random_tensor(from, 3, -3, 3)}, {{"shape", to}});
  }
  check("broadcast_to", {random_tensor({5, 3}, 3, -3, 3).permute({1, 0})},
        {{"shape", Ints{2, 3, 5}}});
  for (const Tensor& t : {x, x.permute({1, 2, 0}), x.slice(0, 36, -1, -3)}) {
    check("copy", {t}, {});
    EXPECT_TRUE(run_op("copy", {t})[0].is_contiguous());
  }
}

TEST(Movement, TransposeIncludingTiledPaths) {
  for (const auto& [shape, perm] : std::vector<std::pair<Shape, Ints>>{{{67, 129}, {1, 0}},
                                                                       {{4, 33, 65}, {0, 2, 1}},
                                                                       {{33, 3, 65}, {2, 1, 0}},
                                                                       {{2, 3, 4, 5}, {3, 1, 0, 2}},
                                                                       {{0, 5}, {1, 0}},
                                                                       {{1, 40, 1}, {2, 0, 1}},
                                                                       {{7}, {-1}},
                                                                       {{300, 301}, {1, 0}},
                                                                       // NCHW -> NHWC, few channels:
                                                                       // long thin tiles
                                                                       {{2, 3, 37, 41}, {0, 2, 3, 1}},
                                                                       {{1, 5, 1100}, {0, 2, 1}},
                                                                       {{3, 40, 2}, {1, 0, 2}}}) {
    check("transpose", {random_tensor(shape, 4, -3, 3)}, {{"perm", perm}});
  }
  check("transpose", {random_tensor({40, 50}, 5, -3, 3).permute({1, 0})}, {{"perm", Ints{1, 0}}});
}

TEST(Movement, SliceAndItsBackward) {
  const Tensor x = random_tensor({20, 31, 3}, 6, -3, 3);
  const std::vector<Attrs> cases = {
      slice_attrs({0}, {2}, {17}, {3}),  slice_attrs({1, 0}, {30, 19}, {-1, -1}, {-1, -4}),
      slice_attrs({-1}, {1}, {2}),       slice_attrs({0, 1, 2}, {5, 0, 0}, {5, 31, 3}, {1, 2, 1}),
      slice_attrs({1}, {0}, {31}, {40}), slice_attrs({}, {}, {}),
      slice_attrs({2}, {2}, {0}, {-1})};
  for (const Attrs& a : cases) {
    check("slice", {x}, a);
    check("slice", {x.permute({1, 0, 2}).permute({1, 0, 2})}, a);
    const Shape sliced = run_op("slice", {x}, a)[0].shape();
    Attrs b = a;
    b.set("shape", x.shape().vec());
    check("slice_backward", {random_tensor(sliced, 7, -3, 3)}, b);
  }
  // Hand-checked: x[::-2] of [0..5] is [5, 3, 1]; its backward scatters back.
  const Tensor r = from_values({6}, {0, 1, 2, 3, 4, 5});
  const Attrs rev = slice_attrs({0}, {5}, {-1}, {-2});
  for (Backend be : {Backend::kCpu, Backend::kReference}) {
    EXPECT_EQ(values(run_op("slice", {r}, rev, be)[0]), (std::vector<float>{5, 3, 1}));
    Attrs b = rev;
    b.set("shape", Ints{6});
    EXPECT_EQ(values(run_op("slice_backward", {from_values({3}, {7, 8, 9})}, b, be)[0]),
              (std::vector<float>{0, 9, 0, 8, 0, 7}));
  }
}

TEST(Movement, ConcatAndPad) {
  const Tensor a = random_tensor({3, 5, 7}, 8, -3, 3), b = random_tensor({3, 2, 7}, 9, -3, 3);
  const Tensor e = random_tensor({3, 0, 7}, 10, -3, 3);
  check("concat", {a, b, e, a}, {{"axis", int64_t{1}}});
  check("concat", {e, b.permute({1, 0, 2}).permute({1, 0, 2}), a}, {{"axis", int64_t{-2}}});
  check("concat", {a, a}, {{"axis", int64_t{0}}});
  check("concat", {a, random_tensor({3, 5, 1}, 11, -3, 3)}, {{"axis", int64_t{2}}});
  check("concat", {random_tensor({1000, 33}, 12, -3, 3)}, {});
  for (const Ints& pads : {Ints{1, 2, 0, 0, 3, 1}, Ints{0, 0, 0, 0, 0, 0}, Ints{5, 0, 0, 7, 0, 1}})
    check("pad", {a}, {{"pads", pads}, {"value", 1.5}});
  check("pad", {a.permute({2, 1, 0})}, {{"pads", Ints{1, 1, 2, 2, 0, 3}}});
  check("pad", {e}, {{"pads", Ints{0, 0, 1, 1, 0, 0}}, {"value", -2.0}});
  for (Backend be : {Backend::kCpu, Backend::kReference}) {
    const Tensor c = run_op("concat", {from_values({1, 2}, {1, 2}), from_values({1, 1}, {3})},
                            {{"axis", int64_t{1}}}, be)[0];
    EXPECT_EQ(values(c), (std::vector<float>{1, 2, 3}));
    const Tensor p = run_op("pad", {from_values({1, 2}, {1, 2})},
                            {{"pads", Ints{1, 0, 0, 1}}, {"value", 9.0}}, be)[0];
    EXPECT_EQ(p.shape(), Shape({2, 3}));
    EXPECT_EQ(values(p), (std::vector<float>{9, 9, 9, 1, 2, 9}));
  }
}

TEST(Movement, BadInputsNameOpShapesAndExpectation) {
  const Tensor x = random_tensor({2, 3}, 1);
  const Tensor i = cast_to(x, "int32");
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("reshape", {x}, {{"shape", Ints{4, 2}}});
                        },
                        {"reshape", "(2, 3)", "[4, 2]", "same number of elements"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("reshape", {x}, {{"shape", Ints{-1, -1}}});
                        },
                        {"reshape", "more than one -1"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("reshape", {x}, {{"shape", Ints{-1, 4}}});
                        },
                        {"reshape", "(2, 3)", "[-1, 4]"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("reshape", {random_tensor({0, 2}, 1)}, {{"shape", Ints{-1, 0}}});
                        },
                        {"reshape", "(0, 2)"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("broadcast_to", {x}, {{"shape", Ints{2, 4}}});
                        },
                        {"broadcast_to", "(2, 3)", "(2, 4)"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("broadcast_to", {x}, {{"shape", Ints{3}}});
                        },
                        {"broadcast_to", "(2, 3)", "(3,)"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("transpose", {x}, {{"perm", Ints{0, 0}}});
                        },
                        {"transpose", "(2, 3)", "permutation"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("transpose", {x}, {{"perm", Ints{0}}});
                        },
                        {"transpose", "(2, 3)", "expected 2"});
  testing::expect_error(ErrorKind::kIndex,
                        [&] {
                          run_op("transpose", {x}, {{"perm", Ints{0, 2}}});
                        },
                        {"transpose", "(2, 3)", "axis 2"});
  testing::expect_error(ErrorKind::kValue,
                        [&] { run_op("slice", {x}, slice_attrs({1}, {0}, {4})); },
                        {"slice", "(2, 3)", "stop 4", "<= 3"});
  testing::expect_error(ErrorKind::kValue,
                        [&] { run_op("slice", {x}, slice_attrs({1}, {0}, {2}, {0})); },
                        {"slice", "step 0"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("slice", {x}, slice_attrs({1, 0}, {0}, {2}));
                        },
                        {"slice", "different lengths"});
  testing::expect_error(ErrorKind::kIndex,
                        [&] { run_op("slice", {x}, slice_attrs({2}, {0}, {1})); },
                        {"slice", "(2, 3)", "axis 2"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("concat", {x, random_tensor({3, 3}, 1)}, {{"axis", int64_t{1}}});
                        },
                        {"concat", "(2, 3)", "(3, 3)", "axis 1"});
  testing::expect_error(ErrorKind::kType,
                        [&] {
                          run_op("concat", {x, i});
                        },
                        {"concat", "float32", "int32"});
  testing::expect_error(ErrorKind::kValue, [&] { run_op("concat", {random_tensor({}, 1)}); },
                        {"concat", "0-d"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("pad", {x}, {{"pads", Ints{1, 1}}});
                        },
                        {"pad", "(2, 3)", "expected 4"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("pad", {x}, {{"pads", Ints{0, 0, -1, 0}}});
                        },
                        {"pad", ">= 0"});
  Attrs b = slice_attrs({0}, {0}, {1});
  b.set("shape", Ints{2, 3});
  testing::expect_error(ErrorKind::kValue, [&] { run_op("slice_backward", {x}, b); },
                        {"slice_backward", "(2, 3)", "expected (1, 3)"});
}

// Sizes far past any real model, as a hostile model file may hold, give
// ValueErrors naming the op and the values, never an int64 overflow.
TEST(Movement, HugeSizesAreValueErrorsNotOverflows) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kBig = int64_t{1} << 62;
  const TensorMeta x{DType::kFloat32, {2, 3}}, empty{DType::kFloat32, {0}};
  using testing::infer;
  testing::expect_error(
      ErrorKind::kValue,
      [&] {
        infer("reshape", {empty}, {{"shape", Ints{1 << 30, int64_t{1} << 40, 0}}});
      },
      {"reshape", "the product of the known dimensions overflows", "1073741824 * 1099511627776"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          infer("reshape", {x}, {{"shape", Ints{-1, kBig, 4}}});
                        },
                        {"reshape", "overflows", "4611686018427387904 * 4"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          infer("pad", {x}, {{"pads", Ints{kMax, 1, 0, 0}}});
                        },
                        {"pad", "the padding of an axis overflows", "9223372036854775807 + 1"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          infer("pad", {x}, {{"pads", Ints{0, 0, kMax - 1, 0}}});
                        },
                        {"pad", "a padded size overflows", "3 + 9223372036854775806"});
  const TensorMeta tall{DType::kFloat32, {kBig, 1}};
  testing::expect_error(
      ErrorKind::kValue,
      [&] {
        infer("concat", {tall, tall});
      },
      {"concat", "the concatenated size overflows", "4611686018427387904 + 4611686018427387904"});
  testing::expect_error(
      ErrorKind::kValue,
      [&] {
        infer("broadcast_to", {x}, {{"shape", Ints{int64_t{1} << 32, 1 << 30, 2, 3}}});
      },
      {"broadcast_to", "output 0 would have shape (4294967296, 1073741824, 2, 3)",
       "product fits in int64"});
  Attrs b = slice_attrs({0}, {0}, {1});
  b.set("shape", Ints{2, -kBig});
  testing::expect_error(ErrorKind::kValue, [&] { infer("slice_backward", {x}, b); },
                        {"slice_backward", "(2, -4611686018427387904)", "sizes >= 0"});
}

// A step past the slice's span takes its first element only, even at the
// ends of the int64 range.
TEST(Movement, SliceStepsAtTheEndsOfInt64) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  const Tensor x = from_values({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  for (const auto& [a, want] : std::vector<std::pair<Attrs, std::vector<float>>>{
           {slice_attrs({1}, {1}, {5}, {kMax}), {1, 6}},
           {slice_attrs({1}, {4}, {-1}, {kMin}), {4, 9}},
           {slice_attrs({1}, {4}, {-1}, {kMin + 1}), {4, 9}},
           {slice_attrs({1, 0}, {0, 1}, {0, 0}, {kMax, kMin}), {}}}) {
    SCOPED_TRACE(a.str());
    check("slice", {x}, a);
    EXPECT_EQ(values(run_op("slice", {x}, a)[0]), want);
    Attrs b = a;
    b.set("shape", x.shape().vec());
    const Shape sliced = run_op("slice", {x}, a)[0].shape();
    check("slice_backward", {random_tensor(sliced, 8, -3, 3)}, b);
  }
}

}  // namespace
}  // namespace kiln
