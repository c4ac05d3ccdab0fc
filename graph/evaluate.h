// Running ops outside a compiled Executable: one op on tensors (constant
// folding uses it, on the CPU backend, so a folded value is what the runtime
// would have computed), and a whole graph node by node with fresh tensors
// (the oracle executor and pass tests compare against, on either backend).
#pragma once

#include <vector>

#include "graph/graph.h"
#include "kernels/op_call.h"

namespace kiln {
namespace graph {

// Infers, allocates, prepares and runs. Inputs are packed first unless the
// op accepts strided inputs. Throws the op's own errors.
std::vector<Tensor> evaluate_op(const OpCall& op, const std::vector<Tensor>& inputs,
                                Backend backend = Backend::kCpu);

struct Interpretation {
  std::vector<Tensor> outputs;  // graph.outputs() order
  std::vector<Tensor> states;   // graph.states() order, after the updates
};

// Runs every node on the given inputs (graph.inputs() order; any shapes the
// ops accept: nodes re-infer from the actual tensors) and the graph's state
// values. The graph itself is not changed.
Interpretation interpret(const Graph& g, const std::vector<Tensor>& inputs,
                         Backend backend = Backend::kReference);

}  // namespace graph
}  // namespace kiln
