#include "imperative/dispatch.h"

#include "imperative/autograd.h"
#include "imperative/eager.h"
#include "kernels/core/error.h"

namespace kiln {
namespace imperative {
namespace {

// The layer under autograd: eager execution, or a tracer pushed above it.
Layer* below_autograd() {
  Layer& autograd = AutogradLayer::instance();
  if (autograd.next == nullptr) autograd.next = &EagerLayer::instance();
  return autograd.next;
}

}  // namespace

HandleList apply(const OpCall& op, const HandleList& inputs) {
  if (!is_recording()) return below_autograd()->apply(op, inputs);
  return AutogradLayer::instance().apply(op, inputs);
}

HandleList apply_below_autograd(const OpCall& op, const HandleList& inputs) {
  return below_autograd()->apply(op, inputs);
}

void push_layer(Layer* layer) {
  layer->next = below_autograd();
  AutogradLayer::instance().next = layer;
}

void pop_layer(Layer* layer) {
  KILN_CHECK(AutogradLayer::instance().next == layer, kRuntime,
             "dispatch layers popped out of order");
  AutogradLayer::instance().next = layer->next;
  layer->next = nullptr;
}

}  // namespace imperative
}  // namespace kiln
