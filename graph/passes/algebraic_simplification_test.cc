#include "graph/passes/algebraic_simplification.h"

#include <functional>

#include <gtest/gtest.h>

#include "graph/rewrite.h"
#include "graph/testing/graph_testing.h"

namespace kiln {
namespace graph {
namespace {

using testing::expect_same_outputs;
using testing::f32;
using testing::rand;

Tensor filled(const Shape& shape, float value) {
  Tensor t = Tensor::empty(shape, DType::kFloat32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = value;
  return t;
}

using Ints = std::vector<int64_t>;

// x -> <ops> -> y, simplified until nothing changes.
struct Case {
  const char* rule;
  std::function<ValueId(Graph&, ValueId)> build;
  int nodes_after;
};

TEST(AlgebraicSimplification, EachRuleRewritesAndKeepsTheValues) {
  const std::vector<Case> cases = {
      {"mul_by_one", [](Graph& g, ValueId x) {
         return g.add_node(OpCall::make("mul"), {x, g.add_constant("one", filled({4}, 1))})[0]; }, 0},
      {"mul_by_one (left)", [](Graph& g, ValueId x) {
         return g.add_node(OpCall::make("mul"), {g.add_constant("one", filled({}, 1)), x})[0]; }, 0},
      {"add_zero", [](Graph& g, ValueId x) {
         return g.add_node(OpCall::make("add"), {g.add_constant("zero", filled({1, 4}, 0)), x})[0]; }, 0},
      {"add_zero (sub)", [](Graph& g, ValueId x) {
         return g.add_node(OpCall::make("sub"), {x, g.add_constant("zero", filled({}, 0))})[0]; }, 0},
      {"div_by_one", [](Graph& g, ValueId x) {
         return g.add_node(OpCall::make("div"), {x, g.add_constant("one", filled({}, 1))})[0]; }, 0},
      {"cast_same_dtype", [](Graph& g, ValueId x) {
         return g.add_node(OpCall::make("cast", {{"dtype", std::string("float32")}}), {x})[0]; }, 0},
      {"copy_elision", [](Graph& g, ValueId x) {
         return g.add_node(OpCall::make("copy"), {x})[0]; }, 0},
      {"identity_movement", [](Graph& g, ValueId x) {
         ValueId y = g.add_node(OpCall::make("reshape", {{"shape", Ints{3, -1}}}), {x})[0];
         y = g.add_node(OpCall::make("broadcast_to", {{"shape", Ints{3, 4}}}), {y})[0];
         return g.add_node(OpCall::make("transpose", {{"perm", Ints{0, 1}}}), {y})[0]; }, 0},
      {"reshape_reshape", [](Graph& g, ValueId x) {
         ValueId y = g.add_node(OpCall::make("reshape", {{"shape", Ints{12}}}), {x})[0];
         y = g.add_node(OpCall::make("reshape", {{"shape", Ints{2, 6}}}), {y})[0];
         return g.add_node(OpCall::make("reshape", {{"shape", Ints{6, 2}}}), {y})[0]; }, 1},
      {"transpose_transpose", [](Graph& g, ValueId x) {
         ValueId y = g.add_node(OpCall::make("reshape", {{"shape", Ints{1, 3, 4}}}), {x})[0];
         y = g.add_node(OpCall::make("transpose", {{"perm", Ints{1, 2, 0}}}), {y})[0];
         return g.add_node(OpCall::make("transpose", {{"perm", Ints{0, 2, 1}}}), {y})[0]; }, 2},
      {"transpose_transpose (identity)", [](Graph& g, ValueId x) {
         ValueId y = g.add_node(OpCall::make("transpose", {{"perm", Ints{1, 0}}}), {x})[0];
         return g.add_node(OpCall::make("transpose", {{"perm", Ints{1, 0}}}), {y})[0]; }, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.rule);
    Graph g;
    const ValueId x = g.add_input("x", f32({3, 4}));
    g.add_output("y", c.build(g, x));
    verify(g);
    const Graph before = g;
    PassOptions options;
    options.disabled = {};
    PassManager pm(options);
    pm.add(std::make_unique<AlgebraicSimplification>());
    pm.run(g);
    g = compact(g);
    // Dead producers are left for dead-code elimination; count live nodes.
    int live = 0;
    for (const Node& n : g.nodes()) {
      bool read = false;
      for (ValueId out : n.outputs) {
        for (const Node& m : g.nodes())
          for (ValueId in : m.inputs) read |= in == out;
        for (const NamedValue& o : g.outputs()) read |= o.value == out;
      }
      live += read;
    }
    EXPECT_EQ(live, c.nodes_after) << g.str();
    expect_same_outputs(before, g, {rand({3, 4}, 1)});
  }
}

TEST(AlgebraicSimplification, OutputsMayBecomeTheInputItself) {
  Graph g;
  const ValueId x = g.add_input("x", f32({3}));
  g.add_output("y", g.add_node(OpCall::make("copy"), {x})[0]);
  EXPECT_TRUE(AlgebraicSimplification().run(g));
  EXPECT_EQ(g.outputs()[0].value, x);
  expect_same_outputs(g, g, {rand({3}, 1)});
}

TEST(AlgebraicSimplification, RefusesWhatIsNotAnIdentity) {
  const auto unchanged = [](const std::function<void(Graph&, ValueId)>& build, const char* why) {
    SCOPED_TRACE(why);
    Graph g;
    build(g, g.add_input("x", f32({3})));
    const std::string text = g.str();
    EXPECT_FALSE(AlgebraicSimplification().run(g));
    EXPECT_EQ(g.str(), text);
  };
  unchanged([](Graph& g, ValueId x) {
    g.add_output("y", g.add_node(OpCall::make("mul"), {x, g.add_constant("two", filled({}, 2))})[0]);
  }, "x * 2");
  unchanged([](Graph& g, ValueId x) {
    g.add_output("y", g.add_node(OpCall::make("mul"), {x, g.add_constant("ones", filled({2, 3}, 1))})[0]);
  }, "x * ones that broadcast x larger");
  unchanged([](Graph& g, ValueId x) {
    g.add_output("y", g.add_node(OpCall::make("sub"), {g.add_constant("zero", filled({}, 0)), x})[0]);
  }, "0 - x");
  unchanged([](Graph& g, ValueId x) {
    g.add_output("y", g.add_node(OpCall::make("div"), {g.add_constant("one", filled({}, 1)), x})[0]);
  }, "1 / x");
  unchanged([](Graph& g, ValueId x) {
    g.add_output("y", g.add_node(OpCall::make("cast", {{"dtype", std::string("int32")}}), {x})[0]);
  }, "a real cast");
  unchanged([](Graph& g, ValueId x) {
    g.add_output("y", g.add_node(OpCall::make("mul"), {x, g.add_input("one", f32({}))})[0]);
  }, "a non-constant one");
}

TEST(AlgebraicSimplification, ListsItsRules) {
  EXPECT_EQ(AlgebraicSimplification::rule_names(),
            (std::vector<std::string>{"mul_by_one", "add_zero", "div_by_one", "cast_same_dtype",
                                      "copy_elision", "identity_movement", "reshape_reshape",
                                      "transpose_transpose"}));
}

}  // namespace
}  // namespace graph
}  // namespace kiln
