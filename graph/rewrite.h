// Editing helpers the passes share. A pass matches on a const Graph plus a
// Uses index built once (ONNX Runtime's const match, mutating apply), then
// edits through these functions, which keep the graph valid: every reader of
// a replaced value is rewired, erased nodes drop out in order and producer
// links are rebuilt.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "graph/graph.h"

namespace kiln {
namespace graph {

// Who reads each value. Built from a graph; stale after the graph is edited.
class Uses {
 public:
  explicit Uses(const Graph& g);
  // Indices of the nodes that read v, ascending, each node once.
  const std::vector<int>& consumers(ValueId v) const { return consumers_.at(v); }
  bool is_graph_output(ValueId v) const { return output_.at(v); }
  bool is_state_update(ValueId v) const { return update_.at(v); }
  // Read by nothing: no node, graph output or state update.
  bool unused(ValueId v) const;
  // Read by exactly `node` (any number of times) and nothing else.
  bool only_used_by(ValueId v, int node) const;

 private:
  std::vector<std::vector<int>> consumers_;
  std::vector<bool> output_, update_;
};

// Points every reader of `from` (node inputs, graph outputs, state updates)
// at `to`. The metas must be equal and `to` must be defined before every
// reader; graph::verify checks the latter.
void replace_uses(Graph& g, ValueId from, ValueId to);

// Removes the nodes whose flag is set (keeping the others in order) and
// rebuilds producer links. Their output values stay in the value table,
// unproduced; compact() drops them.
void erase_nodes(Graph& g, const std::vector<bool>& erase);

// Names for values a pass adds, unique among the graph's names.
class NameSet {
 public:
  explicit NameSet(const Graph& g);
  // prefix if free, else prefix_1, prefix_2, ...; the name is then taken.
  std::string make(const std::string& prefix);

 private:
  std::unordered_set<std::string> used_;
};

// A copy without the values nothing reads or produces: constants no node,
// output or update uses, and intermediates whose producers were erased.
// Inputs and states all stay, in order (callers index them by position);
// other value ids are renumbered.
Graph compact(const Graph& g);

// The node producing v if it applies `op`; null for inputs, constants,
// states and values of other ops.
const Node* producer_of(const Graph& g, ValueId v, const std::string& op);

// A transpose node's permutation with negative axes made positive (the op
// accepts -rank <= axis < rank, as numpy does).
std::vector<int64_t> transpose_perm(const Node& transpose);

// The number of nodes applying `op`.
int count_ops(const Graph& g, const std::string& op);

// True for constants (values baked into the graph).
inline bool is_constant(const Graph& g, ValueId v) {
  return g.value(v).kind == ValueKind::kConstant;
}
// The constant's tensor, packed (constants from outside may be strided).
Tensor constant_data(const Graph& g, ValueId v);

}  // namespace graph
}  // namespace kiln
