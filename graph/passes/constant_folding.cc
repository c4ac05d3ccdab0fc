#include "graph/passes/constant_folding.h"

#include <algorithm>

#include "graph/evaluate.h"
#include "graph/rewrite.h"
#include "kernels/core/error.h"

namespace kiln {
namespace graph {
namespace {

size_t meta_bytes(const TensorMeta& m) {
  return static_cast<size_t>(m.shape.numel()) * dtype_size(m.dtype);
}

// The const half of the pass: may this node be folded, given its inputs?
bool foldable(const Graph& g, const Node& node) {
  if (node.op.def->random) return false;
  size_t in_bytes = 0, out_bytes = 0;
  for (ValueId v : node.inputs) {
    if (!is_constant(g, v)) return false;
    in_bytes += meta_bytes(g.value(v).meta);
  }
  for (ValueId v : node.outputs) out_bytes += meta_bytes(g.value(v).meta);
  return out_bytes <= std::max(ConstantFolding::kMinGrowthLimit, 2 * in_bytes);
}

}  // namespace

bool ConstantFolding::run(Graph& g) {
  NameSet names(g);
  std::vector<bool> folded(g.nodes().size(), false);
  bool changed = false;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    if (!foldable(g, node)) continue;
    std::vector<Tensor> inputs;
    for (ValueId v : node.inputs) inputs.push_back(constant_data(g, v));
    std::vector<Tensor> outputs;
    try {
      outputs = evaluate_op(node.op, inputs, Backend::kCpu);
    } catch (const Error&) {
      continue;  // left for the runtime to report with its own context
    }
    const std::vector<ValueId> node_outputs = node.outputs;  // g changes below
    const std::string prefix = node.op.name() + "_folded";
    for (size_t i = 0; i < outputs.size(); ++i) {
      const ValueId c = g.add_constant(names.make(prefix), std::move(outputs[i]));
      replace_uses(g, node_outputs[i], c);
    }
    folded[n] = true;
    changed = true;
  }
  if (changed) erase_nodes(g, folded);
  return changed;
}

}  // namespace graph
}  // namespace kiln
