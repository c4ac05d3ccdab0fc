#include "graph/passes/bias_activation_fusion.h"

#include <gtest/gtest.h>

#include <optional>

#include "graph/rewrite.h"
#include "graph/testing/graph_testing.h"

namespace kiln {
namespace graph {
namespace {

using testing::expect_same_outputs;
using testing::f32;
using testing::rand;

const Attrs kPad1{{"padding", std::vector<int64_t>{1, 1}}};

// x (2, 3, 5, 5) -> conv2d (4 channels) [-> add(bias of `bias_shape`)] [-> relu].
Graph conv_graph(std::optional<Shape> bias_shape, bool relu, bool bias_first = false,
                 bool conv_bias = false) {
  Graph g;
  const ValueId x = g.add_input("x", f32({2, 3, 5, 5}), 1);
  std::vector<ValueId> in = {x, g.add_constant("w", rand({4, 3, 3, 3}, 1))};
  if (conv_bias) in.push_back(g.add_constant("b0", rand({4}, 5)));
  ValueId y = g.add_node(OpCall::make("conv2d", kPad1), in)[0];
  if (bias_shape) {
    const ValueId c = g.add_constant("c", rand(*bias_shape, 2));
    y = g.add_node(OpCall::make("add"),
                   bias_first ? std::vector<ValueId>{c, y} : std::vector<ValueId>{y, c})[0];
  }
  if (relu) y = g.add_node(OpCall::make("relu"), {y})[0];
  g.add_output("y", y);
  return g;
}

void expect_fused(Graph g, const std::vector<Tensor>& inputs, const char* op, bool relu,
                  bool bias) {
  const Graph before = g;
  EXPECT_TRUE(BiasActivationFusion().run(g));
  verify(g);
  ASSERT_EQ(g.nodes().size(), 1u) << g.str();
  const Node& n = g.nodes()[0];
  EXPECT_EQ(n.op.name(), op);
  EXPECT_EQ(n.op.attrs.get_bool("relu"), relu);
  EXPECT_EQ(n.inputs.size(), bias ? 3u : 2u);
  expect_same_outputs(before, g, inputs, 1e-4, 1e-5);
  EXPECT_FALSE(BiasActivationFusion().run(g));
}

TEST(BiasActivationFusion, ConvBiasAndReluBecomeOneConv) {
  const std::vector<Tensor> in = {rand({2, 3, 5, 5}, 9)};
  expect_fused(conv_graph(Shape{1, 4, 1, 1}, true), in, "conv2d", true, true);
  expect_fused(conv_graph(Shape{4, 1, 1}, true, /*bias_first=*/true), in, "conv2d", true, true);
  expect_fused(conv_graph(Shape{1, 4, 1, 1}, false), in, "conv2d", false, true);
  expect_fused(conv_graph(std::nullopt, true), in, "conv2d", true, false);
  expect_fused(conv_graph(Shape{}, true), in, "conv2d", true, true);   // a scalar bias
  expect_fused(conv_graph(Shape{1}, true), in, "conv2d", true, true);  // one value for all channels
  expect_fused(conv_graph(Shape{1, 4, 1, 1}, true, false, /*conv_bias=*/true), in, "conv2d", true,
               true);
}

Graph linear_graph(const Shape& x_shape, const Shape& bias_shape, bool relu) {
  Graph g;
  const ValueId x = g.add_input("x", f32(x_shape), 1);
  const ValueId w = g.add_constant("w", rand({5, x_shape[x_shape.rank() - 1]}, 1));
  ValueId y = g.add_node(OpCall::make("matmul", {{"transpose_b", true}}), {x, w})[0];
  y = g.add_node(OpCall::make("add"), {y, g.add_constant("b", rand(bias_shape, 2))})[0];
  if (relu) y = g.add_node(OpCall::make("relu"), {y})[0];
  g.add_output("y", y);
  return g;
}

TEST(BiasActivationFusion, MatmulBiasAndReluBecomeOneMatmul) {
  expect_fused(linear_graph({3, 4}, {5}, true), {rand({3, 4}, 3)}, "matmul", true, true);
  expect_fused(linear_graph({3, 4}, {1, 5}, false), {rand({3, 4}, 3)}, "matmul", false, true);
  expect_fused(linear_graph({2, 3, 4}, {5}, true), {rand({2, 3, 4}, 3)}, "matmul", true, true);
}

void expect_unchanged(Graph g, const char* why) {
  SCOPED_TRACE(why);
  const std::string text = g.str();
  BiasActivationFusion().run(g);
  EXPECT_EQ(g.str(), text);
}

TEST(BiasActivationFusion, RefusesEachBrokenPrecondition) {
  expect_unchanged(conv_graph(Shape{1, 1, 5, 5}, false), "the bias varies over space");
  expect_unchanged(linear_graph({3, 4}, {3, 1}, false), "the bias varies over rows");
  expect_unchanged(linear_graph({3, 4}, {2, 1, 5}, false), "the add broadcasts the result larger");
  {
    Graph g;  // the bias is an input, not a constant
    const ValueId x = g.add_input("x", f32({3, 4}));
    const ValueId b = g.add_input("b", f32({5}));
    const ValueId y =
        g.add_node(OpCall::make("matmul"), {x, g.add_constant("w", rand({4, 5}, 1))})[0];
    g.add_output("y", g.add_node(OpCall::make("add"), {y, b})[0]);
    expect_unchanged(g, "a non-constant bias");
  }
  {
    Graph g = conv_graph(Shape{1, 4, 1, 1}, true);
    g.add_output("conv", g.nodes()[0].outputs[0]);
    expect_unchanged(g, "the conv output is also a graph output");
  }
  {
    Graph g;  // relu's input is read twice
    const ValueId x = g.add_input("x", f32({2, 3, 5, 5}));
    const ValueId y =
        g.add_node(OpCall::make("conv2d"), {x, g.add_constant("w", rand({4, 3, 3, 3}, 1))})[0];
    g.add_output("r", g.add_node(OpCall::make("relu"), {y})[0]);
    g.add_output("s", g.add_node(OpCall::make("sigmoid"), {y})[0]);
    expect_unchanged(g, "the conv output has two readers");
  }
  {
    Graph g;  // relu already fused: a later add must not move before it
    const ValueId x = g.add_input("x", f32({2, 3, 5, 5}));
    const ValueId y = g.add_node(OpCall::make("conv2d", {{"relu", true}}),
                                 {x, g.add_constant("w", rand({4, 3, 3, 3}, 1))})[0];
    g.add_output(
        "y", g.add_node(OpCall::make("add"), {y, g.add_constant("c", rand({1, 4, 1, 1}, 2))})[0]);
    expect_unchanged(g, "the producer already applies relu");
  }
  {
    Graph g;  // other activations are not fused
    const ValueId x = g.add_input("x", f32({3, 4}));
    const ValueId y =
        g.add_node(OpCall::make("matmul"), {x, g.add_constant("w", rand({4, 5}, 1))})[0];
    g.add_output("y", g.add_node(OpCall::make("sigmoid"), {y})[0]);
    expect_unchanged(g, "sigmoid");
  }
}

// clip(conv, 0, bound) as kiln.functional.clip writes it: maximum(., 0) then
// minimum(., bound), with scalar constants.
Graph clip_graph(float lower, float upper, bool conv_first = true) {
  Graph g;
  const ValueId x = g.add_input("x", f32({2, 3, 5, 5}), 1);
  ValueId y =
      g.add_node(OpCall::make("conv2d", kPad1), {x, g.add_constant("w", rand({4, 3, 3, 3}, 1))})[0];
  const auto scalar = [&](const char* name, float v) {
    Tensor t = Tensor::empty({}, DType::kFloat32);
    t.data<float>()[0] = v;
    return g.add_constant(name, t);
  };
  const ValueId lo = scalar("lo", lower), hi = scalar("hi", upper);
  y = g.add_node(OpCall::make("maximum"),
                 conv_first ? std::vector<ValueId>{y, lo} : std::vector<ValueId>{lo, y})[0];
  y = g.add_node(OpCall::make("minimum"), {y, hi})[0];
  g.add_output("y", y);
  return g;
}

TEST(BiasActivationFusion, ClipToZeroAndABoundBecomesACappedRelu) {
  for (bool conv_first : {true, false}) {
    Graph g = clip_graph(0.0f, 0.5f, conv_first);
    const Graph before = g;
    EXPECT_TRUE(BiasActivationFusion().run(g));
    verify(g);
    ASSERT_EQ(g.nodes().size(), 1u) << g.str();
    EXPECT_TRUE(g.nodes()[0].op.attrs.get_bool("relu"));
    EXPECT_EQ(g.nodes()[0].op.attrs.get_float("relu_max"), 0.5);
    expect_same_outputs(before, g, {rand({2, 3, 5, 5}, 9)}, 1e-4, 1e-5);
  }
  // Another lower bound is no relu: nothing fuses.
  expect_unchanged(clip_graph(-1.0f, 6.0f), "clip(x, -1, 6)");
  // A bound <= 0 leaves the minimum.
  Graph g = clip_graph(0.0f, -1.0f);
  BiasActivationFusion().run(g);
  EXPECT_EQ(count_ops(g, "minimum"), 1);
  EXPECT_EQ(count_ops(g, "maximum"), 0);
}

}  // namespace
}  // namespace graph
}  // namespace kiln
