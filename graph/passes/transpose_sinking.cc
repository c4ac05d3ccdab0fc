#include "graph/passes/transpose_sinking.h"

#include <optional>
#include <utility>

#include "graph/rewrite.h"

namespace kiln {
namespace graph {
namespace {

bool is_elementwise(const Node& node) {
  const OpKind kind = node.op.def->kind;
  return kind == OpKind::kUnary || kind == OpKind::kBinary || kind == OpKind::kTernary;
}

// A node that can sink its transposes: their perm, and per input the value
// the node reads after the rewrite (a transpose's source; -1 for a constant
// to permute; the input itself for a 0-d value).
struct Sink {
  std::vector<int64_t> perm;
  std::vector<ValueId> sources;
};

std::optional<Sink> match(const Graph& g, const Uses& uses, int n) {
  const Node& node = g.nodes()[n];
  if (!is_elementwise(node)) return std::nullopt;
  const int rank = g.value(node.outputs[0]).meta.shape.rank();
  std::optional<Sink> sink;
  std::vector<ValueId> sources;
  bool frees_one = false;
  for (ValueId in : node.inputs) {
    const int in_rank = g.value(in).meta.shape.rank();
    if (const Node* t = producer_of(g, in, "transpose")) {
      const std::vector<int64_t> p = transpose_perm(*t);
      if (in_rank != rank || (sink && sink->perm != p)) return std::nullopt;
      sink = Sink{p, {}};
      sources.push_back(t->inputs[0]);
      frees_one |= uses.only_used_by(in, n);
    } else if (in_rank == 0) {
      sources.push_back(in);
    } else if (is_constant(g, in) && in_rank <= rank) {
      sources.push_back(-1);
    } else {
      return std::nullopt;
    }
  }
  if (!sink || !frees_one) return std::nullopt;
  sink->sources = std::move(sources);
  return sink;
}

// c padded to `rank` with leading 1s, then permuted by p's inverse: the c0
// with transpose(c0, p) == c as broadcasting sees it.
Tensor unpermuted_constant(const Tensor& c, const std::vector<int64_t>& p) {
  const int rank = static_cast<int>(p.size());
  Shape padded = Shape::filled(rank - c.shape().rank(), 1);
  for (int64_t d : c.shape()) padded.push_back(d);
  Dims inverse = Dims::filled(rank, 0);
  for (int i = 0; i < rank; ++i) inverse[static_cast<int>(p[i])] = i;
  return c.reshape_view(padded).permute(inverse).contiguous();
}

}  // namespace

bool TransposeSinking::run(Graph& g) {
  bool changed = false;
  for (;;) {
    const Uses uses(g);
    std::vector<std::optional<Sink>> sinks(g.nodes().size());
    bool any = false;
    for (int n = 0; n < static_cast<int>(g.nodes().size()); ++n) {
      sinks[n] = match(g, uses, n);
      any |= sinks[n].has_value();
    }
    if (!any) return changed;
    changed = true;
    // Rebuild the node list in order: a sunk node becomes the op on its
    // sources (a new value) and a transpose that keeps its output id.
    NameSet names(g);
    std::vector<Node> old = std::move(g.mutable_nodes());
    g.mutable_nodes().clear();
    for (size_t n = 0; n < old.size(); ++n) {
      if (!sinks[n]) {
        g.mutable_nodes().push_back(std::move(old[n]));
        continue;
      }
      const Sink& sink = *sinks[n];
      std::vector<ValueId> inputs = sink.sources;
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i] >= 0) continue;
        const ValueId c = old[n].inputs[i];
        const std::string& name = g.value(c).name;
        inputs[i] = g.add_constant(names.make((name.empty() ? "constant" : name) + "_sunk"),
                                   unpermuted_constant(constant_data(g, c), sink.perm));
      }
      const ValueId y = g.add_node(old[n].op, inputs)[0];
      g.mutable_nodes().push_back(
          {OpCall::make("transpose", {{"perm", sink.perm}}), {y}, old[n].outputs});
    }
    g.reindex();
  }
}

}  // namespace graph
}  // namespace kiln
