#include "graph/passes/dynamic_batch_reshape.h"

#include <gtest/gtest.h>

#include "graph/rewrite.h"
#include "graph/shape_inference.h"
#include "graph/testing/graph_testing.h"
#include "kernels/core/error.h"

namespace kiln {
namespace graph {
namespace {

using testing::expect_same_outputs;
using testing::f32;
using testing::rand;
using Ints = std::vector<int64_t>;

// What flatten records at batch 4: reshape(x, [4, -1]), then [4, 2, 8].
Graph traced_flatten(uint32_t dynamic_dims) {
  Graph g;
  const ValueId x = g.add_input("x", f32({4, 2, 4, 2}), dynamic_dims);
  ValueId y = g.add_node(OpCall::make("relu"), {x})[0];
  y = g.add_node(OpCall::make("reshape", {{"shape", Ints{4, -1}}}), {y})[0];
  y = g.add_node(OpCall::make("reshape", {{"shape", Ints{4, 2, 8}}}), {y})[0];
  g.add_output("y", y);
  return g;
}

TEST(DynamicBatchReshape, FreesTheBatchDimOfBatchKeepingReshapes) {
  Graph g = traced_flatten(1);
  const Graph before = g;
  EXPECT_THROW(infer_shapes(g, {f32({7, 2, 4, 2})}), Error);
  EXPECT_TRUE(DynamicBatchReshape().run(g));
  verify(g);
  EXPECT_EQ(g.nodes()[1].op.attrs.get_ints("shape"), (Ints{-1, 16}));
  EXPECT_EQ(g.nodes()[2].op.attrs.get_ints("shape"), (Ints{-1, 2, 8}));
  expect_same_outputs(before, g, {rand({4, 2, 4, 2}, 1)});  // unchanged at the traced batch
  for (int64_t batch : {1, 7}) {
    const Graph h = infer_shapes(g, {f32({batch, 2, 4, 2})});
    EXPECT_EQ(h.value(h.outputs()[0].value).meta, f32({batch, 2, 8}));
  }
  EXPECT_FALSE(DynamicBatchReshape().run(g));
}

TEST(DynamicBatchReshape, LeavesStaticGraphsAndBatchMergingReshapes) {
  Graph g = traced_flatten(0);  // no dynamic dim
  const std::string text = g.str();
  EXPECT_FALSE(DynamicBatchReshape().run(g));
  EXPECT_EQ(g.str(), text);

  Graph merge;  // (4, 3) -> (12,): the batch is merged, not kept
  const ValueId x = merge.add_input("x", f32({4, 3}), 1);
  ValueId y = merge.add_node(OpCall::make("reshape", {{"shape", Ints{12}}}), {x})[0];
  y = merge.add_node(OpCall::make("reshape", {{"shape", Ints{4, 3}}}), {y})[0];  // after: unknown
  merge.add_output("y", y);
  const std::string merged = merge.str();
  EXPECT_FALSE(DynamicBatchReshape().run(merge));
  EXPECT_EQ(merge.str(), merged);

  Graph inner;  // a dynamic dim other than the batch is not followed
  const ValueId z = inner.add_input("z", f32({2, 6}), 2);
  inner.add_output("y", inner.add_node(OpCall::make("reshape", {{"shape", Ints{2, 3, 2}}}), {z})[0]);
  EXPECT_FALSE(DynamicBatchReshape().run(inner));
}

}  // namespace
}  // namespace graph
}  // namespace kiln
