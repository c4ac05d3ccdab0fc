#include "imperative/dispatch.h"

#include "imperative/autograd.h"
#include "imperative/eager.h"
#include "kernels/core/error.h"

namespace kiln {
namespace imperative {
namespace {

// The autograd layer, stacked on eager execution on first use.
AutogradLayer& autograd_layer() {
  static AutogradLayer& layer = [] () -> AutogradLayer& {
    AutogradLayer& autograd = AutogradLayer::instance();
    autograd.next = &EagerLayer::instance();
    return autograd;
  }();
  return layer;
}

// The layer under autograd: eager execution, or a tracer pushed above it.
Layer* below_autograd() { return autograd_layer().next; }

}  // namespace

HandleList apply(const OpCall& op, const HandleList& inputs) {
  if (!is_recording()) return below_autograd()->apply(op, inputs);
  return autograd_layer().apply(op, inputs);
}

HandleList apply_below_autograd(const OpCall& op, const HandleList& inputs) {
  return below_autograd()->apply(op, inputs);
}

void push_layer(Layer* layer) {
  layer->next = below_autograd();
  autograd_layer().next = layer;
}

void pop_layer(Layer* layer) {
  KILN_CHECK(autograd_layer().next == layer, kRuntime, "dispatch layers popped out of order");
  autograd_layer().next = layer->next;
  layer->next = nullptr;
}

}  // namespace imperative
}  // namespace kiln
