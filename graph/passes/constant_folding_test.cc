#include "graph/passes/constant_folding.h"

#include <gtest/gtest.h>

#include "graph/rewrite.h"
#include "graph/testing/graph_testing.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace graph {
namespace {

// A 0-d int32 stream counter: the random ops' input.
Tensor random_counter() {
  Tensor t = Tensor::empty(Shape{}, DType::kInt32);
  *t.data<int32_t>() = 0;
  return t;
}

using testing::expect_same_outputs;
using testing::f32;
using testing::rand;

int count_constants(const Graph& g) {
  int n = 0;
  for (int v = 0; v < g.num_values(); ++v) n += is_constant(g, v);
  return n;
}

TEST(ConstantFolding, FoldsChainsOfConstantNodesAndSources) {
  Graph g;
  const ValueId x = g.add_input("x", f32({2, 6}));
  const ValueId a = g.add_constant("a", rand({3, 4}, 1));
  const ValueId b = g.add_constant("b", rand({3, 4}, 2));
  ValueId c = g.add_node(OpCall::make("add"), {a, b})[0];
  c = g.add_node(OpCall::make("reshape", {{"shape", std::vector<int64_t>{2, 6}}}), {c})[0];
  const ValueId ones = g.add_node(
      OpCall::make("fill", {{"value", 2.0}, {"shape", std::vector<int64_t>{2, 6}}}), {})[0];
  c = g.add_node(OpCall::make("mul"), {c, ones})[0];
  const ValueId y = g.add_node(OpCall::make("sub"), {x, c})[0];  // reads an input: stays
  g.add_output("y", y);
  g.add_output("c", c);  // an output that becomes a constant
  const Graph before = g;

  EXPECT_TRUE(ConstantFolding().run(g));
  verify(g);
  EXPECT_EQ(g.nodes().size(), 1u);
  EXPECT_EQ(count_ops(g, "sub"), 1);
  EXPECT_TRUE(is_constant(g, g.outputs()[1].value));
  expect_same_outputs(before, g, {rand({2, 6}, 3)});
  EXPECT_FALSE(ConstantFolding().run(g));
}

TEST(ConstantFolding, FoldsEveryOutputOfAMultiOutputNode) {
  Graph g;
  std::vector<ValueId> p;
  p.push_back(g.add_constant("x", rand({2, 3, 4}, 1)));
  for (int i = 0; i < 4; ++i) p.push_back(g.add_constant("p" + std::to_string(i), rand({3}, i + 2, 0.5f, 1.5f)));
  const auto bn = g.add_node(OpCall::make("batch_norm"), p);
  g.add_output("y", bn[0]);
  g.add_output("var", bn[2]);
  const Graph before = g;
  EXPECT_TRUE(ConstantFolding().run(g));
  EXPECT_EQ(g.nodes().size(), 0u);
  expect_same_outputs(before, g, {});
}

TEST(ConstantFolding, RefusesRandomOps) {
  Graph g;
  const ValueId c = g.add_constant("counter", random_counter());
  const ValueId r = g.add_node(OpCall::make("uniform_random", {{"shape", std::vector<int64_t>{3}},
                                                               {"seed", int64_t{1}}}), {c})[0];
  const ValueId n = g.add_node(OpCall::make("normal_random", {{"shape", std::vector<int64_t>{3}},
                                                              {"seed", int64_t{2}}}), {c})[0];
  g.add_output("y", g.add_node(OpCall::make("add"), {r, n})[0]);
  const int constants = count_constants(g);
  EXPECT_FALSE(ConstantFolding().run(g));
  EXPECT_EQ(g.nodes().size(), 3u);
  EXPECT_EQ(count_constants(g), constants);
}

TEST(ConstantFolding, RefusesNodesThatWouldGrowTheModel) {
  Graph g;
  const ValueId s = g.add_constant("s", rand({1}, 1));
  const ValueId big = g.add_node(
      OpCall::make("broadcast_to", {{"shape", std::vector<int64_t>{1024, 1024}}}), {s})[0];
  const ValueId small = g.add_node(
      OpCall::make("broadcast_to", {{"shape", std::vector<int64_t>{16, 16}}}), {s})[0];
  g.add_output("big", big);
  g.add_output("small", small);
  EXPECT_TRUE(ConstantFolding().run(g));
  EXPECT_EQ(g.nodes().size(), 1u);  // the 4 MiB broadcast stays a node
  EXPECT_EQ(g.value(g.outputs()[0].value).kind, ValueKind::kIntermediate);
  EXPECT_TRUE(is_constant(g, g.outputs()[1].value));
}

TEST(ConstantFolding, LeavesNodesWhoseKernelFailsForTheRuntime) {
  Graph g;
  const ValueId table = g.add_constant("table", rand({4, 2}, 1));
  Tensor idx = Tensor::empty({1}, DType::kInt32);
  idx.data<int32_t>()[0] = 9;  // out of range: index_select throws at run time
  const ValueId i = g.add_constant("idx", idx);
  g.add_output("y", g.add_node(OpCall::make("index_select"), {table, i})[0]);
  EXPECT_FALSE(ConstantFolding().run(g));
  EXPECT_EQ(g.nodes().size(), 1u);
}

}  // namespace
}  // namespace graph
}  // namespace kiln
