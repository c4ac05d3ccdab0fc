#include "imperative/grad_manager.h"

#include <algorithm>

#include "imperative/autograd.h"
#include "imperative/tracer.h"
#include "kernels/core/error.h"
#include "kernels/op_call.h"

namespace kiln {
namespace imperative {

GradManager::~GradManager() {
  release();
  for (auto& weak : attached_)
    if (auto h = weak.lock()) --h->attach_count;
}

void GradManager::attach(const HandleList& tensors) {
  attached_.erase(std::remove_if(attached_.begin(), attached_.end(),
                                 [](const auto& weak) { return weak.expired(); }),
                  attached_.end());
  for (const HandlePtr& t : tensors) {
    KILN_CHECK(is_floating(t->value().dtype()), kType, "GradManager.attach: a ",
               dtype_name(t->value().dtype()), " tensor cannot have gradients; expected float32");
    bool known = false;
    for (auto& weak : attached_) known |= weak.lock() == t;
    if (known) continue;
    attached_.push_back(t);
    ++t->attach_count;
  }
}

void GradManager::record() {
  KILN_CHECK(!recording_, kValue, "GradManager is already recording");
  recording_ = true;
  begin_recording();
}

void GradManager::release() {
  if (!recording_) return;
  recording_ = false;
  end_recording();
}

HandleList GradManager::attached() const {
  HandleList out;
  for (auto& weak : attached_)
    if (auto h = weak.lock()) out.push_back(h);
  return out;
}

void GradManager::backward(const HandleList& ys, const HandleList& dys_in) {
  KILN_CHECK(ys.size() == dys_in.size(), kValue, "backward: got ", ys.size(), " outputs and ",
             dys_in.size(), " gradients; expected one gradient per output");
  KILN_CHECK(recording_, kValue,
             "backward: this GradManager is not recording; call it inside `with gm:` "
             "(or after gm.record())");
  HandleList dys;
  bool anything_recorded = false;
  for (size_t i = 0; i < ys.size(); ++i) {
    const TensorMeta y = ys[i]->meta();
    anything_recorded |= ys[i]->requires_grad();
    if (dys_in[i] == nullptr) {
      KILN_CHECK(y.shape.numel() == 1, kValue, "backward: y has shape ", y.shape.str(),
                 "; a non-scalar y needs an explicit dy of the same shape");
      Attrs fill{{"value", 1.0}, {"shape", y.shape.vec()},
                 {"dtype", std::string(dtype_name(y.dtype))}};
      dys.push_back(apply_below_autograd(OpCall::make("fill", fill), {})[0]);
    } else {
      KILN_CHECK(dys_in[i]->meta() == y, kValue, "backward: dy is ", dys_in[i]->meta().str(),
                 " but y is ", y.str(), "; expected dy to match y");
      dys.push_back(dys_in[i]);
    }
  }
  KILN_CHECK(anything_recorded, kValue,
             "backward: nothing was recorded for y; compute it inside `with gm:` from tensors "
             "attached with gm.attach(...)");
  auto leaf_grads = backpropagate(ys, dys);
  for (const HandlePtr& param : attached()) {
    auto it = leaf_grads.find(param.get());
    if (it == leaf_grads.end()) continue;
    // A fresh handle: several leaves may share one gradient value, and an
    // in-place update of one .grad must not change another.
    param->grad = param->grad ? apply_below_autograd(OpCall::make("add"), {param->grad, it->second})[0]
                              : it->second->detached();
    if (Tracer* tracer = active_tracer()) tracer->on_grad(param);
  }
  release();
}

}  // namespace imperative
}  // namespace kiln
