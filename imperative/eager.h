// The bottom layer: infers outputs, makes views for movement ops, and runs
// prepared kernels cached by (op, attrs, input metas), so oneDNN primitives
// are built once per shape in eager mode too.
#pragma once

#include "imperative/dispatch.h"

namespace kiln {
namespace imperative {

class EagerLayer final : public Layer {
 public:
  HandleList apply(const OpCall& op, const HandleList& inputs) override;
  static EagerLayer& instance();
};

// Runs op on tensors (no handles): the eager path's core, shared with tests.
std::vector<Tensor> execute(const OpCall& op, const std::vector<Tensor>& inputs);
void clear_kernel_cache();
size_t kernel_cache_size();

}  // namespace imperative
}  // namespace kiln
