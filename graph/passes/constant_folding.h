// Constant folding: a node whose inputs are all constants is run once, on the
// CPU backend (so the folded value is what the runtime would compute), and
// its outputs become constants. Source ops with no inputs (fill, arange)
// fold too. Chains fold in one run, in node order.
//
// Refused (the node stays):
//  - random ops (OpDef::random: uniform_random, normal_random);
//  - nodes whose outputs would grow the model: more than max(1 MiB, 2x the
//    bytes of their inputs) (a broadcast or fill of a large shape);
//  - nodes whose kernel throws (bad gather indices): the runtime reports it.
#pragma once

#include <cstddef>

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class ConstantFolding final : public Pass {
 public:
  static constexpr size_t kMinGrowthLimit = size_t{1} << 20;
  const char* name() const override { return "constant_folding"; }
  bool run(Graph& g) override;
};

}  // namespace graph
}  // namespace kiln
