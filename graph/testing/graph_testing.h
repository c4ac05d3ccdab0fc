// Helpers for graph, pass and executor tests (ONNX Runtime's
// graph_transform_test_builder): run a graph through the executor, compare
// with another graph or with the op-by-op reference interpreter, count ops.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace kiln {
namespace graph {
namespace testing {

TensorMeta f32(const Shape& shape);
// Deterministic uniform values in [lo, hi).
Tensor rand(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f);

// Compiles g for the inputs' metas and runs it once on the CPU backend,
// with copies of the graph's state values. Returns the outputs.
std::vector<Tensor> run_graph(const Graph& g, const std::vector<Tensor>& inputs);

// Runs `before` and `after` on the same inputs through the executor and
// expects equal outputs (same count, metas, and values within tolerance);
// also expects `before` through the executor to equal the reference
// interpreter, so that a broken executor cannot hide a broken pass.
void expect_same_outputs(const Graph& before, const Graph& after,
                         const std::vector<Tensor>& inputs, double rtol = 1e-5,
                         double atol = 1e-6);

// A small inference CNN with random constant weights, batch dim dynamic:
//   x (batch, 3, 8, 8) -> conv2d 3x3 (4 channels, pad 1, bias) -> batch_norm
//   (inference) -> relu -> max_pool2d 2x2 -> reshape (-1, 64) -> matmul with
//   w2 (10, 64)^T -> add b2 (10,) -> relu -> output "y".
Graph small_cnn(int64_t batch = 4);

}  // namespace testing
}  // namespace graph
}  // namespace kiln
