#include "graph/testing/graph_testing.h"

#include <gtest/gtest.h>

#include "graph/evaluate.h"
#include "graph/executor.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace graph {
namespace testing {

TensorMeta f32(const Shape& shape) { return {DType::kFloat32, shape}; }

Tensor rand(const Shape& shape, uint64_t seed, float lo, float hi) {
  return kiln::testing::random_tensor(shape, seed, lo, hi);
}

std::vector<Tensor> run_graph(const Graph& g, const std::vector<Tensor>& inputs) {
  std::vector<TensorMeta> metas;
  for (const Tensor& t : inputs) metas.push_back(t.meta());
  Executable exe(g, metas);
  std::vector<Tensor> states;
  for (ValueId s : g.states()) states.push_back(g.tensor(s).clone());
  std::vector<Tensor> outputs = exe.allocate_outputs();
  exe.run(inputs, states, outputs);
  return outputs;
}

Graph small_cnn(int64_t batch) {
  Graph g;
  const ValueId x = g.add_input("x", f32({batch, 3, 8, 8}), /*dynamic_dims=*/1);
  const ValueId w = g.add_constant("conv.weight", rand({4, 3, 3, 3}, 11));
  const ValueId b = g.add_constant("conv.bias", rand({4}, 12));
  const ValueId gamma = g.add_constant("bn.weight", rand({4}, 13, 0.5f, 1.5f));
  const ValueId beta = g.add_constant("bn.bias", rand({4}, 14));
  const ValueId mean = g.add_constant("bn.running_mean", rand({4}, 15));
  const ValueId var = g.add_constant("bn.running_var", rand({4}, 16, 0.5f, 2.0f));
  const ValueId w2 = g.add_constant("fc.weight", rand({10, 64}, 17, -0.3f, 0.3f));
  const ValueId b2 = g.add_constant("fc.bias", rand({10}, 18));
  const std::vector<int64_t> one{1, 1}, two{2, 2};
  ValueId y = g.add_node(OpCall::make("conv2d", {{"padding", one}}), {x, w, b})[0];
  y = g.add_node(OpCall::make("batch_norm"), {y, gamma, beta, mean, var})[0];
  y = g.add_node(OpCall::make("relu"), {y})[0];
  y = g.add_node(OpCall::make("max_pool2d", {{"kernel", two}}), {y})[0];
  y = g.add_node(OpCall::make("reshape", {{"shape", std::vector<int64_t>{-1, 64}}}), {y})[0];
  y = g.add_node(OpCall::make("matmul", {{"transpose_b", true}}), {y, w2})[0];
  y = g.add_node(OpCall::make("add"), {y, b2})[0];
  y = g.add_node(OpCall::make("relu"), {y})[0];
  g.add_output("y", y);
  verify(g);
  return g;
}

namespace {
void expect_close(const std::vector<Tensor>& got, const std::vector<Tensor>& want, double rtol,
                  double atol, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].meta(), want[i].meta()) << what << ", output " << i;
    EXPECT_TRUE(kiln::testing::all_close(got[i], want[i], rtol, atol))
        << what << ", output " << i << ": closeness "
        << kiln::testing::closeness(got[i], want[i], rtol, atol);
  }
}
}  // namespace

void expect_same_outputs(const Graph& before, const Graph& after,
                         const std::vector<Tensor>& inputs, double rtol, double atol) {
  const std::vector<Tensor> want = run_graph(before, inputs);
  expect_close(want, interpret(before, inputs, Backend::kReference).outputs, 1e-4, 1e-5,
               "executor vs reference interpreter (before)");
  expect_close(run_graph(after, inputs), want, rtol, atol, "after vs before");
}

}  // namespace testing
}  // namespace graph
}  // namespace kiln
