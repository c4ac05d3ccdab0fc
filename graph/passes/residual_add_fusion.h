// Residual add fusion (CPU lowering): an add of a conv2d's output and another
// tensor of the same shape becomes the conv's residual input, which oneDNN
// adds as a sum post-op while the output is still in cache:
//   conv2d(x, W[, b]) -> add(., r)  =>  conv2d(x, W[, b], r) {residual}
// (add(r, y) as well). A relu after the add then fuses as usual
// (BiasActivationFusion), giving ResNet's conv -> add -> relu as one kernel.
// Preconditions (else nothing changes): the conv has relu = false and no
// residual yet; its output is read by the add only; r has the output's
// meta and is defined before the conv runs (an input, constant or state, or
// produced by an earlier node), so the conv can read it; the add's output
// has the conv output's meta; and r keeps the conv output's shape at other
// sizes of the graph's dynamic input dims (re-inferred), so that a fused
// graph runs at every batch the original did.
#pragma once

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class ResidualAddFusion final : public Pass {
 public:
  const char* name() const override { return "residual_add_fusion"; }
  bool run(Graph& g) override;
};

}  // namespace graph
}  // namespace kiln
