#include "graph/passes/dead_code_elimination.h"

#include "graph/rewrite.h"

namespace kiln {
namespace graph {

bool DeadCodeElimination::run(Graph& g) {
  std::vector<bool> live(g.num_values(), false);
  for (const NamedValue& o : g.outputs()) live[o.value] = true;
  for (const auto& [state, value] : g.state_updates()) live[value] = true;
  const auto& nodes = g.nodes();
  std::vector<bool> dead(nodes.size(), true);
  bool any_dead = false;
  for (int n = static_cast<int>(nodes.size()) - 1; n >= 0; --n) {
    for (ValueId out : nodes[n].outputs) dead[n] = dead[n] && !live[out];
    if (dead[n]) {
      any_dead = true;
      continue;
    }
    for (ValueId in : nodes[n].inputs) live[in] = true;
  }
  if (any_dead) erase_nodes(g, dead);
  return any_dead;
}

}  // namespace graph
}  // namespace kiln
