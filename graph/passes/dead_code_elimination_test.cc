#include "graph/passes/dead_code_elimination.h"

#include <gtest/gtest.h>

#include "graph/evaluate.h"
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

TEST(DeadCodeElimination, ErasesWhatNoOutputOrUpdateReads) {
  Graph g;
  const ValueId x = g.add_input("x", f32({2, 3}));
  const ValueId s = g.add_state("s", rand({2, 3}, 1));
  const ValueId unused = g.add_node(OpCall::make("exp"), {x})[0];
  g.add_node(OpCall::make("log"), {unused});                      // dead chain
  const ValueId y = g.add_node(OpCall::make("relu"), {x})[0];
  const ValueId next = g.add_node(OpCall::make("add"), {s, x})[0];  // read only by the update
  g.add_node(OpCall::make("uniform_random", {{"shape", std::vector<int64_t>{4}},
                                             {"seed", int64_t{7}}}),
             {g.add_constant("counter", random_counter())});  // dead source
  g.add_output("y", y);
  g.set_state_update(s, next);
  const Graph before = g;

  EXPECT_TRUE(DeadCodeElimination().run(g));
  verify(g);
  EXPECT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(count_ops(g, "exp") + count_ops(g, "log") + count_ops(g, "uniform_random"), 0);
  EXPECT_EQ(count_ops(g, "add"), 1);  // kept: it updates the state
  const std::vector<Tensor> in = {rand({2, 3}, 2)};
  expect_same_outputs(before, g, in);
  const Tensor want = interpret(before, in).states[0], got = interpret(g, in).states[0];
  EXPECT_TRUE(kiln::testing::all_close(got, want));

  EXPECT_FALSE(DeadCodeElimination().run(g));  // nothing left to do
}

TEST(DeadCodeElimination, KeepsMultiOutputNodesWithOneLiveOutput) {
  Graph g;
  const ValueId x = g.add_input("x", f32({2, 3, 4}));
  std::vector<ValueId> p;
  for (int i = 0; i < 4; ++i) p.push_back(g.add_constant("p" + std::to_string(i), rand({3}, i, 0.5f, 1.5f)));
  const auto bn = g.add_node(OpCall::make("batch_norm"), {x, p[0], p[1], p[2], p[3]});
  g.add_output("mean", bn[1]);  // y is unused, the node stays
  EXPECT_FALSE(DeadCodeElimination().run(g));
  EXPECT_EQ(count_ops(g, "batch_norm"), 1);
}

}  // namespace
}  // namespace graph
}  // namespace kiln
