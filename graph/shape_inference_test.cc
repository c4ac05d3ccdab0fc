#include "graph/shape_inference.h"

#include <gtest/gtest.h>

#include "graph/testing/graph_testing.h"
#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace graph {
namespace {

using kiln::testing::expect_error;
using testing::f32;

TEST(ShapeInference, ReinfersEveryNodeForNewBatchSizes) {
  const Graph g = testing::small_cnn(4);
  for (int64_t batch : {1, 7}) {
    const Graph h = infer_shapes(g, {f32({batch, 3, 8, 8})});
    verify(h);
    EXPECT_EQ(h.value(h.outputs()[0].value).meta, f32({batch, 10}));
  }
  // The original is untouched; constants are shared, not copied.
  EXPECT_EQ(g.value(g.outputs()[0].value).meta, f32({4, 10}));
  const Graph h = infer_shapes(g, {f32({2, 3, 8, 8})});
  for (const auto& [id, t] : g.tensors()) EXPECT_TRUE(t.shares_storage(h.tensor(id)));
}

TEST(ShapeInference, DeclaredSignaturesShowDynamicDims) {
  const Graph g = testing::small_cnn(4);
  EXPECT_EQ(declared_str(g.value(g.inputs()[0])), "float32(?, 3, 8, 8)");
  EXPECT_EQ(declared_shape(g.value(g.inputs()[0])), (std::vector<int64_t>{-1, 3, 8, 8}));
  Graph one;
  one.add_input("v", f32({5}));
  EXPECT_EQ(declared_str(one.value(0)), "float32(5,)");
}

TEST(ShapeInference, BadInputsNameTheInputWhatWasGivenAndExpected) {
  const Graph g = testing::small_cnn(4);
  expect_error(ErrorKind::kType,
               [&] {
                 infer_shapes(g, {{DType::kInt32, {4, 3, 8, 8}}});
               },
               {"'x'", "int32", "float32(?, 3, 8, 8)"});
  expect_error(ErrorKind::kValue,
               [&] {
                 infer_shapes(g, {f32({4, 3, 8})});
               },
               {"'x'", "(4, 3, 8)", "(?, 3, 8, 8)", "rank"});
  expect_error(ErrorKind::kValue,
               [&] {
                 infer_shapes(g, {f32({4, 3, 8, 9})});
               },
               {"'x'", "(4, 3, 8, 9)", "(?, 3, 8, 8)", "? may be any size"});
  expect_error(ErrorKind::kValue, [&] { infer_shapes(g, {}); }, {"0 input shapes", "1 inputs"});
}

TEST(ShapeInference, NodeFailuresNameTheNodeAndOp) {
  Graph g;  // a reshape baked at batch 4 cannot follow another batch
  const ValueId x = g.add_input("x", f32({4, 6}), 1);
  const ValueId y = g.add_node(OpCall::make("exp"), {x})[0];
  g.add_output(
      "y", g.add_node(OpCall::make("reshape", {{"shape", std::vector<int64_t>{4, 3, 2}}}), {y})[0]);
  expect_error(ErrorKind::kValue,
               [&] {
                 infer_shapes(g, {f32({5, 6})});
               },
               {"node 1", "reshape", "(5, 6)"});
}

TEST(ShapeInference, StateUpdatesMustKeepTheirShape) {
  Graph g;  // the update sums over the batch: fine at any batch
  const ValueId x = g.add_input("x", f32({4, 3}), 1);
  const ValueId s = g.add_state("s", Tensor::empty({3}, DType::kFloat32));
  const ValueId sum = g.add_node(OpCall::make("sum", {{"axes", std::vector<int64_t>{0}}}), {x})[0];
  g.set_state_update(s, g.add_node(OpCall::make("add"), {s, sum})[0]);
  infer_shapes(g, {f32({9, 3})});
  Graph bad;  // the update is the batch itself
  const ValueId bx = bad.add_input("x", f32({3}), 1);
  const ValueId bs = bad.add_state("s", Tensor::empty({3}, DType::kFloat32));
  bad.set_state_update(bs, bad.add_node(OpCall::make("exp"), {bx})[0]);
  expect_error(ErrorKind::kValue, [&] { infer_shapes(bad, {f32({4})}); }, {"state 's'", "(4,)"});
}

}  // namespace
}  // namespace graph
}  // namespace kiln
