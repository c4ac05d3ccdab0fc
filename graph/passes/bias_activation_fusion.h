// Bias + activation fusion (inference): folds a per-channel constant bias
// add and a following relu into the conv2d or matmul that produces their
// input, as oneDNN post-ops run them (bias argument, eltwise relu).
//   conv2d(x, W[, b]) -> add(., c)  =>  conv2d(x, W, b + c)
//       c: float32 constant broadcasting along the channel axis only:
//       shape (O, 1, 1) after dropping leading 1s, or (O,) when O is the
//       last dim (1x1 outputs), or a single element;
//   matmul(a, B[, b]) -> add(., c)  =>  matmul(a, B, b + c)
//       c: float32 constant whose shape is (N,) after dropping leading 1s
//       (or a single element);
//   conv2d / matmul -> relu         =>  the same op with relu = true
//       (maximum(., 0) with a single-element 0 constant counts as relu);
//   conv2d {relu} -> minimum(., c)  =>  conv2d {relu, relu_max = c}
//       c: a single-element float32 constant > 0 (ReLU6, clip(x, 0, 6)).
// add(c, y) matches as well as add(y, c). Preconditions (else nothing
// changes): the producer has relu = false; an existing bias is a constant
// (for an add to merge into); its output is read by the add or
// relu only (not by another node, not a graph output, not a state update);
// the add's output has the producer's meta (the bias does not broadcast the
// result any larger). Chains (conv -> add -> relu -> minimum) fuse in one run.
#pragma once

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class BiasActivationFusion final : public Pass {
 public:
  const char* name() const override { return "bias_activation_fusion"; }
  bool run(Graph& g) override;
};

}  // namespace graph
}  // namespace kiln
