#include "graph/passes/common_subexpression_elimination.h"

#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "graph/rewrite.h"

namespace kiln {
namespace graph {
namespace {

// Maps each small constant to the first equal one (itself if none).
std::vector<ValueId> merge_constants(const Graph& g) {
  std::vector<ValueId> remap(g.num_values());
  for (ValueId v = 0; v < g.num_values(); ++v) remap[v] = v;
  std::unordered_map<size_t, std::vector<std::pair<ValueId, Tensor>>> seen;
  for (ValueId v = 0; v < g.num_values(); ++v) {
    if (!is_constant(g, v)) continue;
    const Tensor t = constant_data(g, v);
    if (t.nbytes() > CommonSubexpressionElimination::kMaxConstantBytes) continue;
    const std::string_view bytes(static_cast<const char*>(t.raw_data()), t.nbytes());
    const size_t h = std::hash<std::string_view>()(bytes) ^ (t.shape().hash() * 31) ^
                     static_cast<size_t>(t.dtype());
    auto& bucket = seen[h];
    bool merged = false;
    for (const auto& [first, data] : bucket) {
      if (data.meta() == t.meta() && std::memcmp(data.raw_data(), t.raw_data(), t.nbytes()) == 0) {
        remap[v] = first;
        merged = true;
        break;
      }
    }
    if (!merged) bucket.push_back({v, t});
  }
  return remap;
}

size_t node_key(const Node& node) {
  size_t h = node.op.hash;
  for (ValueId v : node.inputs) h = h * 1000003u + static_cast<size_t>(v);
  return h;
}

}  // namespace

bool CommonSubexpressionElimination::run(Graph& g) {
  std::vector<ValueId> remap = merge_constants(g);
  bool changed = false;  // only when a reference moves: unused duplicates don't count
  const auto rewire = [&](ValueId& v) {
    if (remap[v] == v) return;
    v = remap[v];
    changed = true;
  };
  // Nodes in order: inputs are rewritten through remap before the lookup, so
  // duplicates of duplicates collapse in one run.
  std::unordered_map<size_t, std::vector<int>> seen;
  std::vector<Node>& nodes = g.mutable_nodes();
  std::vector<bool> erase(nodes.size(), false);
  for (int n = 0; n < static_cast<int>(nodes.size()); ++n) {
    Node& node = nodes[n];
    for (ValueId& in : node.inputs) rewire(in);
    if (node.op.def->random) continue;
    auto& bucket = seen[node_key(node)];
    int match = -1;
    for (int m : bucket)
      if (nodes[m].op == node.op && nodes[m].inputs == node.inputs) match = m;
    if (match < 0) {
      bucket.push_back(n);
      continue;
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) remap[node.outputs[i]] = nodes[match].outputs[i];
    erase[n] = true;
    changed = true;
  }
  for (NamedValue& o : g.mutable_outputs()) rewire(o.value);
  for (auto& [state, value] : g.mutable_state_updates()) rewire(value);
  if (changed) erase_nodes(g, erase);
  return changed;
}

}  // namespace graph
}  // namespace kiln
