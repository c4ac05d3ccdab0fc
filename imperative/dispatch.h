// imperative::apply is kiln's one bind point (JAX's Primitive.bind): every
// op call from Python, from gradient rules and from optimizers enters here
// and passes down a stack of layers: autograd, then tracing (when a trace is
// active), then eager execution.
#pragma once

#include "imperative/tensor_handle.h"
#include "kernels/op_call.h"

namespace kiln {
namespace imperative {

class Layer {
 public:
  virtual ~Layer() = default;
  virtual HandleList apply(const OpCall& op, const HandleList& inputs) = 0;
  Layer* next = nullptr;
};

// Applies op through the whole stack.
HandleList apply(const OpCall& op, const HandleList& inputs);
// Applies op below autograd (what gradient rules use).
HandleList apply_below_autograd(const OpCall& op, const HandleList& inputs);

// Installs `layer` between autograd and execution (the tracer's seam);
// pop_layer removes it again, in reverse order.
void push_layer(Layer* layer);
void pop_layer(Layer* layer);

}  // namespace imperative
}  // namespace kiln
