#include "graph/passes/residual_add_fusion.h"

#include <gtest/gtest.h>

#include "graph/executor.h"
#include "graph/passes/bias_activation_fusion.h"
#include "graph/rewrite.h"
#include "graph/testing/graph_testing.h"

namespace kiln {
namespace graph {
namespace {

using testing::expect_same_outputs;
using testing::f32;
using testing::rand;

const Attrs kPad1{{"padding", std::vector<int64_t>{1, 1}}};

struct Built {
  Graph g;
  ValueId x, r, y;  // y: the conv's output
};

// x (2, 4, 5, 5) -> conv2d (4 channels, bias) -> y; r: an input of y's shape.
Built conv_and_residual() {
  Built b;
  b.x = b.g.add_input("x", f32({2, 4, 5, 5}), 1);
  b.r = b.g.add_input("r", f32({2, 4, 5, 5}), 1);
  b.y = b.g.add_node(
      OpCall::make("conv2d", kPad1),
      {b.x, b.g.add_constant("w", rand({4, 4, 3, 3}, 1)), b.g.add_constant("b", rand({4}, 2))})[0];
  return b;
}

const std::vector<Tensor> kInputs = {rand({2, 4, 5, 5}, 3), rand({2, 4, 5, 5}, 4)};

TEST(ResidualAddFusion, AddThenReluBecomeOneConv) {
  for (bool residual_first : {false, true}) {
    Built b = conv_and_residual();
    Graph& g = b.g;
    ValueId z = g.add_node(OpCall::make("add"), residual_first ? std::vector<ValueId>{b.r, b.y}
                                                               : std::vector<ValueId>{b.y, b.r})[0];
    g.add_output("z", g.add_node(OpCall::make("relu"), {z})[0]);
    const Graph before = g;
    EXPECT_TRUE(ResidualAddFusion().run(g));
    EXPECT_TRUE(BiasActivationFusion().run(g));
    verify(g);
    ASSERT_EQ(g.nodes().size(), 1u) << g.str();
    const Node& conv = g.nodes()[0];
    EXPECT_TRUE(conv.op.attrs.get_bool("residual"));
    EXPECT_TRUE(conv.op.attrs.get_bool("relu"));
    EXPECT_EQ(conv.inputs.back(), b.r);
    expect_same_outputs(before, g, kInputs, 1e-4, 1e-5);
    EXPECT_FALSE(ResidualAddFusion().run(g));
  }
}

// Blocks in a chain: one add's sum is the next block's input and residual
// (fused in one run; the second conv reads the first's output twice, so it
// must not write over it).
TEST(ResidualAddFusion, ChainedBlocksFuseInOneRun) {
  Built b = conv_and_residual();
  Graph& g = b.g;
  const ValueId s1 = g.add_node(OpCall::make("add"), {b.y, b.r})[0];
  const ValueId y2 = g.add_node(OpCall::make("conv2d", kPad1),
                                {s1, g.add_constant("w2", rand({4, 4, 3, 3}, 7, -0.3f, 0.3f))})[0];
  const ValueId s2 = g.add_node(OpCall::make("add"), {y2, s1})[0];
  g.add_output("z", g.add_node(OpCall::make("exp"), {s2})[0]);
  const Graph before = g;
  EXPECT_TRUE(ResidualAddFusion().run(g));
  verify(g);
  EXPECT_EQ(count_ops(g, "add"), 0) << g.str();
  EXPECT_EQ(g.nodes()[1].inputs[0], g.nodes()[1].inputs.back());
  expect_same_outputs(before, g, kInputs, 1e-4, 1e-5);
}

// When the residual dies at the conv, the planner lets the conv accumulate
// over its buffer.
TEST(ResidualAddFusion, ConvWritesOverADyingResidual) {
  Built b = conv_and_residual();
  Graph& g = b.g;
  const ValueId r2 = g.add_node(OpCall::make("exp"), {b.r})[0];  // an arena value
  const ValueId y = g.add_node(OpCall::make("conv2d", kPad1),
                               {b.x, g.add_constant("w2", rand({4, 4, 3, 3}, 5))})[0];
  const ValueId z = g.add_node(OpCall::make("add"), {y, r2})[0];
  g.add_output("z", g.add_node(OpCall::make("relu"), {z})[0]);
  g.add_output("y0", b.y);
  const Graph before = g;
  EXPECT_TRUE(ResidualAddFusion().run(g));
  EXPECT_EQ(count_ops(g, "add"), 0);
  expect_same_outputs(before, g, kInputs, 1e-4, 1e-5);
  // exp's output is the residual, read by the conv only (relu writes the
  // caller's output tensor).
  const Executable exe(g, {kInputs[0].meta(), kInputs[1].meta()});
  EXPECT_EQ(exe.in_place_count(), 1) << exe.plan_str();
}

void expect_unchanged(Graph g) {
  const std::string before = g.str();
  EXPECT_FALSE(ResidualAddFusion().run(g));
  EXPECT_EQ(g.str(), before);
}

TEST(ResidualAddFusion, LeavesWhatItCannotFuse) {
  {  // the other operand is computed after the conv
    Built b = conv_and_residual();
    const ValueId late = b.g.add_node(OpCall::make("exp"), {b.r})[0];
    b.g.add_output("z", b.g.add_node(OpCall::make("add"), {b.y, late})[0]);
    expect_unchanged(b.g);
  }
  {  // the conv's output is read elsewhere too
    Built b = conv_and_residual();
    b.g.add_output("z", b.g.add_node(OpCall::make("add"), {b.y, b.r})[0]);
    b.g.add_output("y", b.y);
    expect_unchanged(b.g);
  }
  {  // a constant of the traced batch: at other batches the add broadcasts it
    Graph g;
    const ValueId x = g.add_input("x", f32({1, 4, 5, 5}), /*dynamic_dims=*/1);
    const ValueId y = g.add_node(OpCall::make("conv2d", kPad1),
                                 {x, g.add_constant("w", rand({4, 4, 3, 3}, 1))})[0];
    g.add_output(
        "z", g.add_node(OpCall::make("add"), {y, g.add_constant("c", rand({1, 4, 5, 5}, 8))})[0]);
    expect_unchanged(g);
  }
  {  // a broadcasting operand (a bias, BiasActivationFusion's job)
    Built b = conv_and_residual();
    const ValueId c = b.g.add_input("c", f32({4, 1, 1}));
    b.g.add_output("z", b.g.add_node(OpCall::make("add"), {b.y, c})[0]);
    expect_unchanged(b.g);
  }
  {  // a fused relu comes before the add: not a residual form
    Built b = conv_and_residual();
    Attrs relu = kPad1;
    relu.set("relu", true);
    const ValueId y = b.g.add_node(OpCall::make("conv2d", relu),
                                   {b.x, b.g.add_constant("w2", rand({4, 4, 3, 3}, 6))})[0];
    b.g.add_output("z", b.g.add_node(OpCall::make("add"), {y, b.r})[0]);
    b.g.add_output("y", b.y);
    expect_unchanged(b.g);
  }
}

}  // namespace
}  // namespace graph
}  // namespace kiln
