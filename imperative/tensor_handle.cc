#include "imperative/tensor_handle.h"

#include "imperative/autograd.h"

namespace kiln {
namespace imperative {

void TensorHandle::assign(const TensorHandle& other) {
  value_ = other.value_;
  grad_node_ = other.grad_node_;
  grad_output_index_ = other.grad_output_index_;
  trace_id = other.trace_id;
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
