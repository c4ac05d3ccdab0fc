#include "graph/pass_manager.h"

#include <gtest/gtest.h>

#include "graph/rewrite.h"
#include "graph/testing/graph_testing.h"
#include "kernels/core/error.h"

namespace kiln {
namespace graph {
namespace {

using testing::expect_same_outputs;
using testing::f32;
using testing::rand;

// Reports a change on its first `changes` runs.
class Counting final : public Pass {
 public:
  Counting(const char* name, int changes, int* runs) : name_(name), changes_(changes), runs_(runs) {}
  const char* name() const override { return name_; }
  bool run(Graph&) override { return ++*runs_ <= changes_; }

 private:
  const char* name_;
  int changes_;
  int* runs_;
};

// Breaks the graph: an output that refers to an undefined value.
class Breaking final : public Pass {
 public:
  const char* name() const override { return "breaking"; }
  bool run(Graph& g) override {
    g.mutable_outputs()[0].value = g.nodes()[0].outputs[0];
    g.mutable_nodes().clear();
    return true;
  }
};

Graph tiny() {
  Graph g;
  const ValueId x = g.add_input("x", f32({2}));
  g.add_output("y", g.add_node(OpCall::make("exp"), {x})[0]);
  return g;
}

TEST(PassManager, RunsToAFixpoint) {
  int a = 0, b = 0;
  PassManager pm;
  pm.add(std::make_unique<Counting>("a", 3, &a)).add(std::make_unique<Counting>("b", 1, &b));
  Graph g = tiny();
  const PassReport r = pm.run(g);
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.rounds, 4);  // changes in rounds 1-3, then a quiet round
  EXPECT_EQ(a, 4);
  EXPECT_EQ(b, 4);
}

TEST(PassManager, StopsAtMaxRounds) {
  int a = 0;
  PassOptions options;
  options.max_rounds = 5;
  PassManager pm(options);
  pm.add(std::make_unique<Counting>("always", 1000, &a));
  Graph g = tiny();
  const PassReport r = pm.run(g);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.rounds, 5);
  EXPECT_EQ(a, 5);
}

TEST(PassManager, RefusesDuplicateNamesAndUnknownDisabledPasses) {
  int a = 0;
  PassManager pm;
  pm.add(std::make_unique<Counting>("a", 0, &a));
  EXPECT_THROW(pm.add(std::make_unique<Counting>("a", 0, &a)), Error);
  PassOptions options;
  options.disabled = {"constant_fold"};
  PassManager bad(options);
  bad.add(std::make_unique<Counting>("constant_folding", 0, &a));
  Graph g = tiny();
  try {
    bad.run(g);
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'constant_fold'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("constant_folding"), std::string::npos) << msg;
  }
}

TEST(PassManager, VerifiesAfterEveryPassAndNamesTheCulprit) {
  PassManager pm;
  pm.add(std::make_unique<Breaking>());
  Graph g = tiny();
  try {
    pm.run(g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pass 'breaking'"), std::string::npos) << e.what();
  }
}

TEST(PassManager, DisablesPassesByName) {
  Graph g;
  const ValueId x = g.add_input("x", f32({2}));
  const ValueId c = g.add_node(OpCall::make("add"), {g.add_constant("a", rand({2}, 1)),
                                                     g.add_constant("b", rand({2}, 2))})[0];
  g.add_output("y", g.add_node(OpCall::make("mul"), {x, c})[0]);
  Graph kept = g;
  PassOptions options;
  options.disabled = {"constant_folding"};
  optimize_for_inference(kept, options);
  EXPECT_EQ(count_ops(kept, "add"), 1);
  optimize_for_inference(g);
  EXPECT_EQ(count_ops(g, "add"), 0);
}

TEST(PassManager, PipelinesListTheirPassesInOrder) {
  std::vector<std::string> names;
  for (const auto& p : inference_passes()) names.push_back(p->name());
  EXPECT_EQ(names, (std::vector<std::string>{
                       "dynamic_batch_reshape", "dead_code_elimination", "constant_folding",
                       "common_subexpression_elimination", "algebraic_simplification",
                       "conv_batchnorm_folding", "bias_activation_fusion"}));
  names.clear();
  for (const auto& p : training_passes()) names.push_back(p->name());
  EXPECT_EQ(names.size(), 4u);  // no folding of batch-norm or fusion for training
}

// The whole inference pipeline on a small CNN: conv + bn + relu become one
// conv, matmul + bias + relu one matmul; numbers unchanged at any batch.
TEST(PassManager, InferencePipelineOptimizesASmallCnn) {
  const Graph before = testing::small_cnn(4);
  Graph g = before;
  const PassReport r = optimize_for_inference(g);
  EXPECT_TRUE(r.converged) << r.str();
  EXPECT_EQ(g.nodes().size(), 4u) << g.str();  // conv2d, max_pool2d, reshape, matmul
  EXPECT_EQ(count_ops(g, "batch_norm") + count_ops(g, "relu") + count_ops(g, "add"), 0);
  EXPECT_TRUE(g.nodes()[0].op.attrs.get_bool("relu"));
  EXPECT_TRUE(g.nodes()[3].op.attrs.get_bool("relu"));
  EXPECT_EQ(g.nodes()[3].inputs.size(), 3u);
  // Compacted: the batch-norm parameters and the old weights are gone.
  int constants = 0;
  for (int v = 0; v < g.num_values(); ++v) constants += is_constant(g, v);
  EXPECT_EQ(constants, 4);
  for (int64_t batch : {4, 1, 7}) expect_same_outputs(before, g, {rand({batch, 3, 8, 8}, batch)}, 1e-4, 1e-5);
}

TEST(PassManager, CompactKeepsInputsAndStatesInOrder) {
  Graph g;
  const ValueId s1 = g.add_state("s1", rand({2}, 1));
  const ValueId x = g.add_input("x", f32({2}));
  g.add_constant("unused", rand({2}, 2));
  const ValueId s2 = g.add_state("s2", rand({2}, 3));
  const ValueId y = g.add_input("y", f32({2}));
  const ValueId a = g.add_node(OpCall::make("add"), {x, y})[0];
  g.add_node(OpCall::make("exp"), {a});  // dead
  g.set_state_update(s2, g.add_node(OpCall::make("mul"), {a, s1})[0]);
  g.add_output("a", a);
  optimize_for_training(g);
  ASSERT_EQ(g.inputs().size(), 2u);
  EXPECT_EQ(g.value(g.inputs()[0]).name, "x");
  EXPECT_EQ(g.value(g.inputs()[1]).name, "y");
  ASSERT_EQ(g.states().size(), 2u);
  EXPECT_EQ(g.value(g.states()[0]).name, "s1");
  EXPECT_EQ(g.value(g.states()[1]).name, "s2");
  EXPECT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.num_values(), 6);  // x, y, s1, s2, a, the update
  EXPECT_EQ(g.state_updates().size(), 1u);
}

}  // namespace
}  // namespace graph
}  // namespace kiln
