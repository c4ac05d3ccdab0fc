#include "graph/passes/residual_add_fusion.h"

#include <unordered_map>

#include "graph/rewrite.h"
#include "graph/shape_inference.h"
#include "kernels/core/error.h"

namespace kiln {
namespace graph {
namespace {

struct Match {
  int conv, add;
  ValueId residual;
};

// The graph re-inferred at other sizes of its dynamic input dims (none when
// it has none; a size the graph rejects proves nothing and is left out).
std::vector<Graph> at_other_sizes(const Graph& g) {
  std::vector<Graph> out;
  if (!has_dynamic_inputs(g)) return out;
  for (int variant = 1; variant <= 2; ++variant) {
    try {
      out.push_back(infer_shapes(g, varied_input_metas(g, variant)));
    } catch (const Error&) {
    }
  }
  return out;
}

// The conv producing y, if the add at node `add` can fold r into it.
bool fusable(const Graph& g, const std::vector<Graph>& others, const Uses& uses, ValueId y,
             ValueId r, int add) {
  const Value& v = g.value(y);
  if (v.kind != ValueKind::kIntermediate || v.producer < 0 || !uses.only_used_by(y, add))
    return false;
  const Node& conv = g.nodes()[v.producer];
  if (conv.op.name() != "conv2d" || conv.op.attrs.get_bool("relu") ||
      conv.op.attrs.get_bool("residual"))
    return false;
  const Value& rv = g.value(r);
  const bool ready = rv.kind != ValueKind::kIntermediate || rv.producer < v.producer;
  if (r == y || !ready || rv.meta != v.meta || g.value(g.nodes()[add].outputs[0]).meta != v.meta)
    return false;
  // At other batch sizes too, or a residual of fixed shape would stop
  // broadcasting: add(conv(x), c) with c of the traced batch.
  for (const Graph& other : others)
    if (other.value(r).meta != other.value(y).meta) return false;
  return true;
}

std::vector<Match> find_matches(const Graph& g) {
  const Uses uses(g);
  const std::vector<Graph> others = at_other_sizes(g);
  std::vector<Match> out;
  for (int n = 0; n < static_cast<int>(g.nodes().size()); ++n) {
    const Node& node = g.nodes()[n];
    if (node.op.name() != "add") continue;
    for (int side = 0; side < 2; ++side) {
      const ValueId y = node.inputs[side], r = node.inputs[1 - side];
      if (!fusable(g, others, uses, y, r, n)) continue;
      out.push_back({g.value(y).producer, n, r});
      break;
    }
  }
  return out;
}

}  // namespace

bool ResidualAddFusion::run(Graph& g) {
  // Matches touch disjoint nodes: each conv output has one reader, the add.
  // One add's output may be another's residual (a chain of blocks): then it
  // is the conv output that replaced it.
  const std::vector<Match> matches = find_matches(g);
  if (matches.empty()) return false;
  std::unordered_map<ValueId, ValueId> replaced;
  std::vector<bool> erase(g.nodes().size(), false);
  for (const Match& m : matches) {
    Node& conv = g.mutable_nodes()[m.conv];
    Attrs attrs = conv.op.attrs;
    attrs.set("residual", true);
    conv.op = OpCall(*conv.op.def, attrs);
    const auto it = replaced.find(m.residual);
    conv.inputs.push_back(it == replaced.end() ? m.residual : it->second);
    const ValueId sum = g.nodes()[m.add].outputs[0];
    replace_uses(g, sum, conv.outputs[0]);
    replaced[sum] = conv.outputs[0];
    erase[m.add] = true;
  }
  erase_nodes(g, erase);
  return true;
}

}  // namespace graph
}  // namespace kiln
