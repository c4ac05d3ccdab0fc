#include "graph/passes/channels_last_layout.h"

#include <gtest/gtest.h>

#include "graph/pass_manager.h"
#include "graph/rewrite.h"
#include "graph/testing/graph_testing.h"

namespace kiln {
namespace graph {
namespace {

using testing::expect_same_outputs;
using testing::f32;
using testing::rand;
using Ints = std::vector<int64_t>;

const Attrs kPad1{{"padding", Ints{1, 1}}};

TEST(ChannelsLastLayout, ConvRunsNhwcBetweenTransposesKeepingItsOutputId) {
  Graph g;
  const ValueId x = g.add_input("x", f32({2, 3, 6, 5}));
  const ValueId w = g.add_constant("w", rand({4, 3, 3, 3}, 1));
  const ValueId y = g.add_node(OpCall::make("conv2d", kPad1), {x, w})[0];
  g.add_output("y", y);
  const Graph before = g;
  EXPECT_TRUE(ChannelsLastLayout().run(g));
  verify(g);
  ASSERT_EQ(g.nodes().size(), 3u) << g.str();
  EXPECT_EQ(g.nodes()[0].op.name(), "transpose");
  EXPECT_EQ(g.nodes()[0].op.attrs.get_ints("perm"), (Ints{0, 2, 3, 1}));
  EXPECT_EQ(g.nodes()[1].op.attrs.get_string("format"), "NHWC");
  EXPECT_EQ(g.value(g.nodes()[1].outputs[0]).meta.shape, Shape({2, 6, 5, 4}));
  EXPECT_EQ(g.nodes()[2].op.attrs.get_ints("perm"), (Ints{0, 3, 1, 2}));
  EXPECT_EQ(g.nodes()[2].outputs[0], y);
  expect_same_outputs(before, g, {rand({2, 3, 6, 5}, 2)}, 1e-4, 1e-5);
  EXPECT_FALSE(ChannelsLastLayout().run(g));  // NHWC nodes stay as they are
}

TEST(ChannelsLastLayout, PoolsConvertAndOtherOpsStay) {
  Graph g;
  const ValueId x = g.add_input("x", f32({1, 4, 7, 7}));
  const Ints k3{3, 3}, s2{2, 2};
  ValueId y = g.add_node(OpCall::make("max_pool2d", {{"kernel", k3}, {"stride", s2}}), {x})[0];
  y = g.add_node(OpCall::make("avg_pool2d", {{"kernel", Ints{3, 3}}}), {y})[0];
  y = g.add_node(OpCall::make("exp"), {y})[0];
  g.add_output("y", y);
  const Graph before = g;
  EXPECT_TRUE(ChannelsLastLayout().run(g));
  verify(g);
  EXPECT_EQ(count_ops(g, "transpose"), 4);
  EXPECT_EQ(count_ops(g, "exp"), 1);
  for (const Node& n : g.nodes())
    if (n.op.name() != "transpose" && n.op.name() != "exp")
      EXPECT_EQ(n.op.attrs.get_string("format"), "NHWC") << n.op.name();
  expect_same_outputs(before, g, {rand({1, 4, 7, 7}, 3)});
}

// x -> conv+relu -> conv -> add(x') -> relu -> avg pool -> y, where x' is the
// first conv's output: a residual block, as in ResNet.
Graph residual_block(int64_t batch) {
  Graph g;
  const ValueId x = g.add_input("x", f32({batch, 8, 6, 6}), /*dynamic_dims=*/1);
  Attrs relu = kPad1;
  relu.set("relu", true);
  const ValueId a = g.add_node(OpCall::make("conv2d", relu),
                               {x, g.add_constant("w1", rand({8, 8, 3, 3}, 1, -0.3f, 0.3f)),
                                g.add_constant("b1", rand({8}, 2))})[0];
  const ValueId b = g.add_node(OpCall::make("conv2d", kPad1),
                               {a, g.add_constant("w2", rand({8, 8, 3, 3}, 3, -0.3f, 0.3f))})[0];
  ValueId y = g.add_node(OpCall::make("add"), {b, a})[0];
  y = g.add_node(OpCall::make("mul"), {y, g.add_constant("scale", rand({8, 1, 1}, 4))})[0];
  y = g.add_node(OpCall::make("relu"), {y})[0];
  y = g.add_node(OpCall::make("avg_pool2d", {{"kernel", Ints{6, 6}}}), {y})[0];
  g.add_output("y", y);
  return g;
}

// The whole CPU lowering: only the transposes at the graph's edges remain.
TEST(ChannelsLastLayout, LoweringLeavesTransposesAtTheEdgesOnly) {
  Graph g = residual_block(2);
  const Graph before = g;
  lower_for_cpu(g);
  verify(g);
  EXPECT_EQ(count_ops(g, "transpose"), 2) << g.str();
  EXPECT_EQ(count_ops(g, "conv2d"), 2);
  EXPECT_EQ(count_ops(g, "add"), 0);  // the second conv adds the residual itself
  expect_same_outputs(before, g, {rand({2, 8, 6, 6}, 5)}, 1e-4, 1e-5);
  // The batch stays dynamic: the lowered graph compiles for other batches.
  expect_same_outputs(before, g, {rand({5, 8, 6, 6}, 6)}, 1e-4, 1e-5);
}

TEST(ChannelsLastLayout, LoweringAnOptimizedCnnKeepsItsOutputs) {
  Graph g = testing::small_cnn();
  optimize_for_inference(g);
  const Graph before = g;
  lower_for_cpu(g);
  EXPECT_EQ(count_ops(g, "transpose"), 2) << g.str();
  expect_same_outputs(before, g, {rand({4, 3, 8, 8}, 7)}, 1e-4, 1e-5);
  expect_same_outputs(before, g, {rand({1, 3, 8, 8}, 8)}, 1e-4, 1e-5);
}

}  // namespace
}  // namespace graph
}  // namespace kiln
