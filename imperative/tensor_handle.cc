#include "imperative/tensor_handle.h"

#include "imperative/autograd.h"
#include "imperative/tracer.h"

namespace kiln {
namespace imperative {

namespace {
uint64_t next_serial = 1;
}  // namespace

TensorHandle::TensorHandle(Tensor value) : value_(std::move(value)), serial(next_serial++) {}

uint64_t TensorHandle::current_serial() { return next_serial; }

void TensorHandle::assign(const TensorHandle& other) {
  if (Tracer* tracer = active_tracer()) tracer->on_assign(*this, other);
  value_ = other.value_;
  grad_node_ = other.grad_node_;
  grad_output_index_ = other.grad_output_index_;
  trace_id = other.trace_id;
}

void TensorHandle::reset_value(Tensor value) {
  value_ = std::move(value);
  grad_node_.reset();
  grad_output_index_ = 0;
}

void TensorHandle::set_grad_node(std::shared_ptr<GradNode> node, int output_index) {
  grad_node_ = std::move(node);
  grad_output_index_ = output_index;
}

std::shared_ptr<TensorHandle> TensorHandle::detached() const {
  auto h = make_handle(value_);
  h->trace_id = trace_id;
  return h;
}

}  // namespace imperative
}  // namespace kiln
