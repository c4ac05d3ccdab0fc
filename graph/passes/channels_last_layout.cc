#include "graph/passes/channels_last_layout.h"

#include <utility>

#include "kernels/ops/layout.h"

namespace kiln {
namespace graph {
namespace {

bool is_nchw_spatial_op(const Node& node) {
  const std::string& op = node.op.name();
  return (op == "conv2d" || op == "max_pool2d" || op == "avg_pool2d") &&
         node.op.attrs.get_string("format") == "NCHW";
}

OpCall transpose(const std::vector<int64_t>& perm) {
  return OpCall::make("transpose", {{"perm", perm}});
}

}  // namespace

bool ChannelsLastLayout::run(Graph& g) {
  bool changed = false;
  // The node list is rebuilt in order; add_node appends the new nodes and
  // values as it goes, so every node still follows its inputs.
  std::vector<Node> old = std::move(g.mutable_nodes());
  g.mutable_nodes().clear();
  for (Node& node : old) {
    if (!is_nchw_spatial_op(node)) {
      g.mutable_nodes().push_back(std::move(node));
      continue;
    }
    Attrs attrs = node.op.attrs;
    attrs.set("format", std::string(layout_name(Layout::kNHWC)));
    std::vector<ValueId> inputs = node.inputs;
    inputs[0] = g.add_node(transpose(nchw_to(Layout::kNHWC)), {inputs[0]})[0];
    if (attrs.has("residual") && attrs.get_bool("residual"))  // an activation too
      inputs.back() = g.add_node(transpose(nchw_to(Layout::kNHWC)), {inputs.back()})[0];
    const ValueId y = g.add_node(OpCall(*node.op.def, attrs), inputs)[0];
    g.mutable_nodes().push_back({transpose(to_nchw(Layout::kNHWC)), {y}, node.outputs});
    changed = true;
  }
  g.reindex();
  return changed;
}

}  // namespace graph
}  // namespace kiln
