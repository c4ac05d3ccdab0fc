#include "graph/passes/common_subexpression_elimination.h"

#include <gtest/gtest.h>

#include "graph/rewrite.h"
#include "graph/testing/graph_testing.h"

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

TEST(CommonSubexpressionElimination, MergesEqualCallsOnEqualInputs) {
  Graph g;
  const ValueId x = g.add_input("x", f32({3, 4}));
  const ValueId e1 = g.add_node(OpCall::make("exp"), {x})[0];
  const ValueId e2 = g.add_node(OpCall::make("exp"), {x})[0];
  // Equal once their inputs merge: duplicates of duplicates collapse too.
  const ValueId t1 = g.add_node(OpCall::make("transpose", {{"perm", std::vector<int64_t>{1, 0}}}), {e1})[0];
  const ValueId t2 = g.add_node(OpCall::make("transpose", {{"perm", std::vector<int64_t>{1, 0}}}), {e2})[0];
  const ValueId y = g.add_node(OpCall::make("sub"), {t1, t2})[0];
  g.add_output("y", y);
  g.add_output("t2", t2);
  const Graph before = g;
  EXPECT_TRUE(CommonSubexpressionElimination().run(g));
  verify(g);
  EXPECT_EQ(count_ops(g, "exp"), 1);
  EXPECT_EQ(count_ops(g, "transpose"), 1);
  EXPECT_EQ(g.outputs()[1].value, g.nodes()[1].outputs[0]);
  expect_same_outputs(before, g, {rand({3, 4}, 1)});
  EXPECT_FALSE(CommonSubexpressionElimination().run(g));
}

TEST(CommonSubexpressionElimination, MergesEqualSmallConstants) {
  Graph g;
  const ValueId x = g.add_input("x", f32({3}));
  Tensor two = Tensor::empty({}, DType::kFloat32);
  two.data<float>()[0] = 2.0f;
  const ValueId c1 = g.add_constant("c1", two);
  const ValueId c2 = g.add_constant("c2", two.clone());
  const ValueId a = g.add_node(OpCall::make("mul"), {x, c1})[0];
  const ValueId b = g.add_node(OpCall::make("mul"), {x, c2})[0];
  g.add_output("y", g.add_node(OpCall::make("add"), {a, b})[0]);
  const Graph before = g;
  EXPECT_TRUE(CommonSubexpressionElimination().run(g));
  EXPECT_EQ(count_ops(g, "mul"), 1);
  expect_same_outputs(before, g, {rand({3}, 1)});
}

TEST(CommonSubexpressionElimination, KeepsDifferentAttrsInputsAndRandomOps) {
  Graph g;
  const ValueId x = g.add_input("x", f32({3, 4}));
  const ValueId z = g.add_input("z", f32({3, 4}));
  const Attrs axis0{{"axes", std::vector<int64_t>{0}}}, axis1{{"axes", std::vector<int64_t>{1}}};
  g.add_output("a", g.add_node(OpCall::make("sum", axis0), {x})[0]);
  g.add_output("b", g.add_node(OpCall::make("sum", axis1), {x})[0]);
  g.add_output("c", g.add_node(OpCall::make("exp"), {x})[0]);
  g.add_output("d", g.add_node(OpCall::make("exp"), {z})[0]);
  const Attrs r{{"shape", std::vector<int64_t>{5}}, {"seed", int64_t{3}}};
  const ValueId counter = g.add_constant("counter", random_counter());
  g.add_output("r1", g.add_node(OpCall::make("uniform_random", r), {counter})[0]);
  g.add_output("r2", g.add_node(OpCall::make("uniform_random", r), {counter})[0]);
  const size_t nodes = g.nodes().size();
  EXPECT_FALSE(CommonSubexpressionElimination().run(g));
  EXPECT_EQ(g.nodes().size(), nodes);
}

TEST(CommonSubexpressionElimination, RewiresStateUpdates) {
  Graph g;
  const ValueId x = g.add_input("x", f32({4}));
  const ValueId s = g.add_state("s", rand({4}, 1));
  const ValueId a = g.add_node(OpCall::make("add"), {s, x})[0];
  const ValueId b = g.add_node(OpCall::make("add"), {s, x})[0];
  g.add_output("a", a);
  g.set_state_update(s, b);
  EXPECT_TRUE(CommonSubexpressionElimination().run(g));
  verify(g);
  EXPECT_EQ(count_ops(g, "add"), 1);
  EXPECT_EQ(g.state_updates().at(s), a);
}

}  // namespace
}  // namespace graph
}  // namespace kiln
