#include "graph/passes/algebraic_simplification.h"

#include <optional>

#include "graph/rewrite.h"

namespace kiln {
namespace graph {
namespace {

// What a rule turns a node into: its output replaced by an existing value,
// or the node rebuilt as another call on other inputs.
struct Rewrite {
  ValueId replace_with = -1;
  std::optional<OpCall> op;
  std::vector<ValueId> inputs;
};
using Match = std::optional<Rewrite>;
Match replace_with(ValueId v) { return Rewrite{v, std::nullopt, {}}; }

// Every element of constant v equals `value`.
bool constant_all(const Graph& g, ValueId v, double value) {
  if (!is_constant(g, v)) return false;
  const Tensor t = constant_data(g, v);
  return dispatch_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, int32_t>) {
      for (int64_t i = 0; i < t.numel(); ++i)
        if (t.data<T>()[i] != static_cast<T>(value)) return false;
      return true;
    } else {
      return false;
    }
  });
}

bool same_meta(const Graph& g, ValueId a, ValueId b) { return g.value(a).meta == g.value(b).meta; }

// x op c -> x (and c op x when commutative) for a constant c of `value`.
Match identity_operand(const Graph& g, const Node& n, double value, bool commutative) {
  const ValueId out = n.outputs[0];
  for (int side = 0; side < (commutative ? 2 : 1); ++side) {
    const ValueId x = n.inputs[side], c = n.inputs[1 - side];
    if (same_meta(g, x, out) && constant_all(g, c, value)) return replace_with(x);
  }
  return std::nullopt;
}

Match mul_by_one(const Graph& g, const Node& n) { return identity_operand(g, n, 1, true); }
Match add_zero(const Graph& g, const Node& n) {
  return identity_operand(g, n, 0, n.op.name() == "add");
}
Match div_by_one(const Graph& g, const Node& n) { return identity_operand(g, n, 1, false); }

Match same_as_input(const Graph& g, const Node& n) {
  if (same_meta(g, n.inputs[0], n.outputs[0])) return replace_with(n.inputs[0]);
  return std::nullopt;
}

Match identity_transpose(const Graph& g, const Node& n) {
  const std::vector<int64_t> perm = transpose_perm(n);
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return std::nullopt;
  return replace_with(n.inputs[0]);
}

Match reshape_reshape(const Graph& g, const Node& n) {
  const Node* inner = producer_of(g, n.inputs[0], "reshape");
  if (!inner) return std::nullopt;
  return Rewrite{-1, n.op, {inner->inputs[0]}};
}

Match transpose_transpose(const Graph& g, const Node& n) {
  const Node* inner = producer_of(g, n.inputs[0], "transpose");
  if (!inner) return std::nullopt;
  const std::vector<int64_t> p = transpose_perm(*inner), q = transpose_perm(n);
  std::vector<int64_t> composed(q.size());
  for (size_t i = 0; i < q.size(); ++i) composed[i] = p[q[i]];
  return Rewrite{-1, OpCall(*n.op.def, {{"perm", composed}}), {inner->inputs[0]}};
}

struct Rule {
  const char* name;
  const char* op;
  Match (*match)(const Graph&, const Node&);
};

// pm_algebraic: tried in order; the first rule that matches a node wins.
const Rule pm_algebraic[] = {
    {"mul_by_one", "mul", mul_by_one},
    {"add_zero", "add", add_zero},
    {"add_zero", "sub", add_zero},
    {"div_by_one", "div", div_by_one},
    {"cast_same_dtype", "cast", same_as_input},
    {"copy_elision", "copy", same_as_input},
    {"identity_movement", "reshape", same_as_input},
    {"identity_movement", "broadcast_to", same_as_input},
    {"identity_movement", "transpose", identity_transpose},
    {"reshape_reshape", "reshape", reshape_reshape},
    {"transpose_transpose", "transpose", transpose_transpose},
};

}  // namespace

std::vector<std::string> AlgebraicSimplification::rule_names() {
  std::vector<std::string> out;
  for (const Rule& r : pm_algebraic)
    if (out.empty() || out.back() != r.name) out.push_back(r.name);
  return out;
}

bool AlgebraicSimplification::run(Graph& g) {
  // Match every node against the unchanged graph first.
  std::vector<Match> rewrites(g.nodes().size());
  bool any = false;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    for (const Rule& rule : pm_algebraic) {
      if (node.op.name() != rule.op) continue;
      rewrites[n] = rule.match(g, node);
      if (rewrites[n]) break;
    }
    any |= rewrites[n].has_value();
  }
  if (!any) return false;
  // Then apply: replacements resolve through chains (y -> x, z -> y).
  std::vector<ValueId> remap(g.num_values());
  for (ValueId v = 0; v < g.num_values(); ++v) remap[v] = v;
  std::vector<bool> erase(g.nodes().size(), false);
  for (size_t n = 0; n < rewrites.size(); ++n) {
    if (!rewrites[n] || rewrites[n]->replace_with < 0) continue;
    remap[g.nodes()[n].outputs[0]] = rewrites[n]->replace_with;
    erase[n] = true;
  }
  const auto resolve = [&](ValueId v) {
    while (remap[v] != v) v = remap[v];
    return v;
  };
  for (size_t n = 0; n < rewrites.size(); ++n) {
    Node& node = g.mutable_nodes()[n];
    if (rewrites[n] && rewrites[n]->op) {
      node.op = *rewrites[n]->op;
      node.inputs = rewrites[n]->inputs;
    }
    for (ValueId& in : node.inputs) in = resolve(in);
  }
  for (NamedValue& o : g.mutable_outputs()) o.value = resolve(o.value);
  for (auto& [state, value] : g.mutable_state_updates()) value = resolve(value);
  erase_nodes(g, erase);
  return true;
}

}  // namespace graph
}  // namespace kiln
