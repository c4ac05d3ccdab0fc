#include "graph/passes/transpose_sinking.h"

#include <gtest/gtest.h>

#include "graph/passes/dead_code_elimination.h"
#include "graph/rewrite.h"
#include "graph/testing/graph_testing.h"

namespace kiln {
namespace graph {
namespace {

using testing::expect_same_outputs;
using testing::f32;
using testing::rand;
using Ints = std::vector<int64_t>;

const Ints kToNhwc{0, 2, 3, 1};

ValueId transpose(Graph& g, ValueId v, const Ints& perm = kToNhwc) {
  return g.add_node(OpCall::make("transpose", {{"perm", perm}}), {v})[0];
}

// The graph's nodes' op names, in order.
std::vector<std::string> ops(const Graph& g) {
  std::vector<std::string> out;
  for (const Node& n : g.nodes()) out.push_back(n.op.name());
  return out;
}

void expect_sunk(Graph g, const std::vector<Tensor>& inputs, const std::vector<std::string>& want) {
  const Graph before = g;
  EXPECT_TRUE(TransposeSinking().run(g));
  verify(g);
  Graph cleaned = g;  // the transposes left unread drop out
  DeadCodeElimination().run(cleaned);
  EXPECT_EQ(ops(cleaned), want) << cleaned.str();
  expect_same_outputs(before, g, inputs);
  EXPECT_FALSE(TransposeSinking().run(g));
}

TEST(TransposeSinking, BinaryOpOfTwoTransposesTakesOneAfterIt) {
  Graph g;
  const ValueId a = g.add_input("a", f32({2, 3, 4, 5})), b = g.add_input("b", f32({2, 3, 4, 5}));
  g.add_output("y", g.add_node(OpCall::make("add"), {transpose(g, a), transpose(g, b)})[0]);
  expect_sunk(g, {rand({2, 3, 4, 5}, 1), rand({2, 3, 4, 5}, 2)}, {"add", "transpose"});
}

TEST(TransposeSinking, ChainsTravelToTheEndInOneRun) {
  Graph g;
  const ValueId a = g.add_input("a", f32({2, 3, 4, 5})), b = g.add_input("b", f32({2, 3, 4, 5}));
  ValueId y = g.add_node(OpCall::make("add"), {transpose(g, a), transpose(g, b)})[0];
  y = g.add_node(OpCall::make("relu"), {y})[0];
  y = g.add_node(OpCall::make("exp"), {y})[0];
  g.add_output("y", y);
  expect_sunk(g, {rand({2, 3, 4, 5}, 1), rand({2, 3, 4, 5}, 2)},
              {"add", "relu", "exp", "transpose"});
}

// Constants (of the transposed shape (2, 4, 5, 3) as broadcasting sees it,
// lower ranks too) are permuted; 0-d values pass unchanged.
TEST(TransposeSinking, ConstantsArePermutedAndScalarsKept) {
  for (const Shape& c_shape : {Shape{1, 1, 1, 3}, Shape{5, 1}, Shape{3}, Shape{2, 4, 5, 3}}) {
    SCOPED_TRACE(c_shape.str());
    Graph g;
    const ValueId a = g.add_input("a", f32({2, 3, 4, 5})), s = g.add_input("s", f32({}));
    ValueId y = g.add_node(OpCall::make("mul"),
                           {transpose(g, a), g.add_constant("c", rand(c_shape, 3))})[0];
    y = g.add_node(OpCall::make("greater"), {y, s})[0];
    y = g.add_node(OpCall::make("where"), {y, s, g.add_constant("zero", rand({}, 4))})[0];
    g.add_output("y", y);
    expect_sunk(g, {rand({2, 3, 4, 5}, 1), rand({}, 2)}, {"mul", "greater", "where", "transpose"});
  }
}

// Negative axes (the op accepts them, as numpy does) mean the same
// permutation: the constant is permuted by the normalised one.
TEST(TransposeSinking, NegativeAxesAreNormalised) {
  Graph g;
  const ValueId a = g.add_input("a", f32({2, 3, 4, 5}));
  const ValueId t = transpose(g, a, {0, -2, -1, 1});  // (2, 4, 5, 3)
  g.add_output("y", g.add_node(OpCall::make("add"), {t, g.add_constant("c", rand({5, 3}, 2))})[0]);
  expect_sunk(g, {rand({2, 3, 4, 5}, 1)}, {"add", "transpose"});
}

void expect_unchanged(Graph g) {
  const std::string before = g.str();
  EXPECT_FALSE(TransposeSinking().run(g));
  EXPECT_EQ(g.str(), before);
}

TEST(TransposeSinking, LeavesWhatItCannotMoveOrWouldNotGainFrom) {
  {  // different permutations
    Graph g;
    const ValueId a = g.add_input("a", f32({2, 2, 2, 2}));
    g.add_output(
        "y", g.add_node(OpCall::make("add"), {transpose(g, a), transpose(g, a, {0, 3, 1, 2})})[0]);
    expect_unchanged(g);
  }
  {  // a non-constant input of lower rank
    Graph g;
    const ValueId a = g.add_input("a", f32({2, 3, 4, 5})), b = g.add_input("b", f32({3}));
    g.add_output("y", g.add_node(OpCall::make("add"), {transpose(g, a), b})[0]);
    expect_unchanged(g);
  }
  {  // the transpose is also read elsewhere: sinking would add a copy
    Graph g;
    const ValueId a = g.add_input("a", f32({2, 3, 4, 5}));
    const ValueId t = transpose(g, a);
    g.add_output("y", g.add_node(OpCall::make("exp"), {t})[0]);
    g.add_output("t", t);
    expect_unchanged(g);
  }
  {  // not elementwise
    Graph g;
    const ValueId a = g.add_input("a", f32({2, 3, 4, 5}));
    g.add_output("y", g.add_node(OpCall::make("sum", {{"axes", Ints{1}}}), {transpose(g, a)})[0]);
    expect_unchanged(g);
  }
}

}  // namespace
}  // namespace graph
}  // namespace kiln
