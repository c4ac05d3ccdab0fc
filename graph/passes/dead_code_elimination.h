// Dead-code elimination: erases the nodes none of whose outputs reach a graph
// output or a state update. Everything a run observes is kept: outputs, and
// the values states are written back from (so a traced training step keeps
// its optimizer updates even though it returns only the loss). Nodes have no
// side effects (random ops are pure functions of their attributes), so a
// node nothing reads is safe to drop.
#pragma once

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class DeadCodeElimination final : public Pass {
 public:
  const char* name() const override { return "dead_code_elimination"; }
  bool run(Graph& g) override;
};

}  // namespace graph
}  // namespace kiln
