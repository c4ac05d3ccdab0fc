// Common-subexpression elimination: two nodes with equal OpCalls (op and
// attributes, compared generically) reading the same values compute the same
// outputs; the later one's readers are pointed at the earlier one's outputs
// and it is erased. Equal small constants (same dtype, shape and bytes, up to
// kMaxConstantBytes) are merged first, so that nodes reading copies of one
// scalar also match. Random ops are never merged.
#pragma once

#include <cstddef>

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class CommonSubexpressionElimination final : public Pass {
 public:
  static constexpr size_t kMaxConstantBytes = 64 * 1024;
  const char* name() const override { return "common_subexpression_elimination"; }
  bool run(Graph& g) override;
};

}  // namespace graph
}  // namespace kiln
