#include "graph/graph.h"

#include <gtest/gtest.h>

#include "kernels/core/error.h"

namespace kiln {
namespace graph {
namespace {

TensorMeta f32(const Shape& s) { return {DType::kFloat32, s}; }

TEST(Graph, BuildsInfersAndPrints) {
  Graph g;
  const ValueId x = g.add_input("x", f32({2, 3}), /*dynamic_dims=*/1);
  const ValueId w = g.add_constant("w", Tensor::empty({3}, DType::kFloat32));
  const ValueId y = g.add_node(OpCall::make("mul"), {x, w})[0];
  const ValueId z = g.add_node(OpCall::make("relu"), {y})[0];
  g.add_output("z", z);
  verify(g);
  EXPECT_EQ(g.value(z).meta, f32({2, 3}));
  EXPECT_EQ(g.value(y).producer, 0);
  EXPECT_EQ(g.str(),
            "input %0:x float32(2, 3) dynamic=1\n"
            "const %1:w float32(3,)\n"
            "%2 = mul(%0:x, %1:w)  # float32(2, 3)\n"
            "%3 = relu(%2)  # float32(2, 3)\n"
            "output z = %3\n");
}

TEST(Graph, StateUpdatesMustMatchTheirState) {
  Graph g;
  const ValueId s = g.add_state("s", Tensor::empty({4}, DType::kFloat32));
  const ValueId x = g.add_input("x", f32({4}));
  const ValueId next = g.add_node(OpCall::make("add"), {s, x})[0];
  g.set_state_update(s, next);
  verify(g);
  const ValueId bad = g.add_input("y", f32({5}));
  EXPECT_THROW(g.set_state_update(s, bad), Error);
}

TEST(Verify, RejectsUseBeforeDefinitionAndWrongMetas) {
  Graph g;
  const ValueId x = g.add_input("x", f32({2}));
  const ValueId y = g.add_node(OpCall::make("exp"), {x})[0];
  g.add_node(OpCall::make("log"), {y});
  verify(g);
  std::swap(g.mutable_nodes()[0], g.mutable_nodes()[1]);  // log now reads y before exp
  try {
    verify(g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("used before it is defined"), std::string::npos);
  }
  std::swap(g.mutable_nodes()[0], g.mutable_nodes()[1]);
  g.mutable_value(y).meta = f32({3});
  EXPECT_THROW(verify(g), Error);
}

TEST(Verify, RejectsDuplicateNames) {
  Graph g;
  g.add_input("x", f32({2}));
  g.add_input("x", f32({2}));
  EXPECT_THROW(verify(g), Error);
}

}  // namespace
}  // namespace graph
}  // namespace kiln
