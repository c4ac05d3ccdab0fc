// Conv + batch-norm folding (inference). Pattern:
//   y = conv2d(x, W[, b])            (relu = false)
//   z, m, v = batch_norm(y, gamma, beta, mean, var)   (training = false)
// becomes z = conv2d(x, W', b') with, per output channel o,
//   s = gamma[o] / sqrt(var[o] + eps),  W'[o] = W[o] * s,
//   b'[o] = (b[o] - mean[o]) * s + beta[o]   (b = 0 without a bias),
// computed in double. Preconditions (else nothing changes):
//  - batch_norm has training = false;
//  - W, b (if present), gamma, beta, mean and var are float32 constants;
//  - y is read by this batch_norm only (not by another node, not a graph
//    output, not a state update);
//  - batch_norm's statistics outputs m and v are unused.
#pragma once

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class ConvBatchNormFolding final : public Pass {
 public:
  const char* name() const override { return "conv_batchnorm_folding"; }
  bool run(Graph& g) override;
};

}  // namespace graph
}  // namespace kiln
