// The eager tensor as Python and the dispatch layers see it: a value plus the
// bookkeeping of autograd (and, later, tracing). Handles have identity: an
// in-place update (`x += 1`, an optimizer step) swaps the value, not the handle.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/core/tensor.h"
#include "kernels/grad.h"

namespace kiln {
namespace imperative {

struct GradNode;

class TensorHandle : public GradValue, public std::enable_shared_from_this<TensorHandle> {
 public:
  explicit TensorHandle(Tensor value);

  const Tensor& value() const { return value_; }
  // Makes this handle stand for `other`'s value (in-place ops, optimizer
  // updates, item assignment): value, autograd history and trace identity.
  void assign(const TensorHandle& other);
  // Replaces the value alone (dropping autograd history): replays and the
  // tracer write state back through this.
  void reset_value(Tensor value);
  TensorMeta meta() const override { return value_.meta(); }

  // Autograd: the node that produced this value during recording, if any.
  const std::shared_ptr<GradNode>& grad_node() const { return grad_node_; }
  int grad_output_index() const { return grad_output_index_; }
  void set_grad_node(std::shared_ptr<GradNode> node, int output_index);

  // How many GradManagers this tensor is attached to.
  int attach_count = 0;
  bool requires_grad() const { return attach_count > 0 || grad_node_ != nullptr; }
  std::shared_ptr<TensorHandle> grad;  // accumulated by GradManager::backward

  // A new handle sharing the value (and trace identity), without autograd
  // history: what gradient rules keep, so the tape holds no cycles.
  std::shared_ptr<TensorHandle> detached() const;

  // Tracing: non-zero while this value is known to a tracer (the tracer's
  // epoch in the high bits, so ids of an ended trace never match).
  uint64_t trace_id = 0;
  // Creation order: tells a tracer which tensors existed before it began.
  const uint64_t serial;
  static uint64_t current_serial();  // the serial the next handle will get

 private:
  Tensor value_;
  std::shared_ptr<GradNode> grad_node_;
  int grad_output_index_ = 0;
};

using HandlePtr = std::shared_ptr<TensorHandle>;
using HandleList = std::vector<HandlePtr>;

inline HandlePtr make_handle(Tensor value) {
  return std::make_shared<TensorHandle>(std::move(value));
}

}  // namespace imperative
}  // namespace kiln
