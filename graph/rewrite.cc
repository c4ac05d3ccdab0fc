#include "graph/rewrite.h"

#include <unordered_map>

#include "kernels/core/error.h"

namespace kiln {
namespace graph {

Uses::Uses(const Graph& g)
    : consumers_(g.num_values()), output_(g.num_values(), false), update_(g.num_values(), false) {
  const auto& nodes = g.nodes();
  for (int n = 0; n < static_cast<int>(nodes.size()); ++n)
    for (ValueId v : nodes[n].inputs) {
      std::vector<int>& c = consumers_.at(v);
      if (c.empty() || c.back() != n) c.push_back(n);
    }
  for (const NamedValue& o : g.outputs()) output_.at(o.value) = true;
  for (const auto& [state, value] : g.state_updates()) update_.at(value) = true;
}

bool Uses::unused(ValueId v) const {
  return consumers_.at(v).empty() && !output_.at(v) && !update_.at(v);
}

bool Uses::only_used_by(ValueId v, int node) const {
  const std::vector<int>& c = consumers_.at(v);
  return c.size() == 1 && c[0] == node && !output_.at(v) && !update_.at(v);
}

void replace_uses(Graph& g, ValueId from, ValueId to) {
  KILN_CHECK(g.value(from).meta == g.value(to).meta, kRuntime, "replace_uses: %", from, " is ",
             g.value(from).meta.str(), " but its replacement %", to, " is ",
             g.value(to).meta.str());
  for (Node& node : g.mutable_nodes())
    for (ValueId& in : node.inputs)
      if (in == from) in = to;
  for (NamedValue& o : g.mutable_outputs())
    if (o.value == from) o.value = to;
  for (auto& [state, value] : g.mutable_state_updates())
    if (value == from) value = to;
}

void erase_nodes(Graph& g, const std::vector<bool>& erase) {
  std::vector<Node>& nodes = g.mutable_nodes();
  size_t kept = 0;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (erase.at(n)) continue;
    if (kept != n) nodes[kept] = std::move(nodes[n]);  // never self-move: it empties
    ++kept;
  }
  nodes.resize(kept);
  g.reindex();
}

NameSet::NameSet(const Graph& g) {
  for (int i = 0; i < g.num_values(); ++i)
    if (!g.value(i).name.empty()) used_.insert(g.value(i).name);
}

std::string NameSet::make(const std::string& prefix) {
  std::string name = prefix;
  for (int i = 1; used_.count(name); ++i) name = str_cat(prefix, "_", i);
  used_.insert(name);
  return name;
}

Graph compact(const Graph& g) {
  const Uses uses(g);
  Graph out;
  std::unordered_map<ValueId, ValueId> map;
  // Inputs, states and used constants keep their relative order of creation.
  for (int i = 0; i < g.num_values(); ++i) {
    const Value& v = g.value(i);
    switch (v.kind) {
      case ValueKind::kInput:
        map[i] = out.add_input(v.name, v.meta, v.dynamic_dims);
        break;
      case ValueKind::kState:
        map[i] = out.add_state(v.name, g.tensor(i));
        break;
      case ValueKind::kConstant:
        if (!uses.unused(i)) map[i] = out.add_constant(v.name, g.tensor(i));
        break;
      case ValueKind::kIntermediate:
        break;
    }
  }
  for (const Node& node : g.nodes()) {
    std::vector<ValueId> inputs;
    for (ValueId v : node.inputs) inputs.push_back(map.at(v));
    const std::vector<ValueId> outs = out.add_node(node.op, inputs);
    for (size_t i = 0; i < outs.size(); ++i) {
      map[node.outputs[i]] = outs[i];
      out.mutable_value(outs[i]).name = g.value(node.outputs[i]).name;
    }
  }
  for (const NamedValue& o : g.outputs()) out.add_output(o.name, map.at(o.value));
  // Updates in states() order, so the result does not depend on hashing.
  for (ValueId s : g.states()) {
    auto it = g.state_updates().find(s);
    if (it != g.state_updates().end()) out.set_state_update(map.at(s), map.at(it->second));
  }
  return out;
}

const Node* producer_of(const Graph& g, ValueId v, const std::string& op) {
  const Value& value = g.value(v);
  if (value.kind != ValueKind::kIntermediate || value.producer < 0) return nullptr;
  const Node& p = g.nodes()[value.producer];
  return p.op.name() == op ? &p : nullptr;
}

std::vector<int64_t> transpose_perm(const Node& transpose) {
  std::vector<int64_t> perm = transpose.op.attrs.get_ints("perm");
  const int64_t rank = static_cast<int64_t>(perm.size());
  for (int64_t& axis : perm)
    if (axis < 0) axis += rank;
  return perm;
}

int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const Node& node : g.nodes()) n += node.op.name() == op;
  return n;
}

Tensor constant_data(const Graph& g, ValueId v) { return g.tensor(v).contiguous(); }

}  // namespace graph
}  // namespace kiln
