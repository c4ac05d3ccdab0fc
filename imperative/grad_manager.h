// MegEngine's GradManager: attach parameters, record inside `with gm:`,
// backward(y, dy) accumulates into each attached tensor's .grad and ends the
// recording.
#pragma once

#include "imperative/tensor_handle.h"

namespace kiln {
namespace imperative {

class GradManager {
 public:
  GradManager() = default;
  ~GradManager();
  GradManager(const GradManager&) = delete;
  GradManager& operator=(const GradManager&) = delete;

  void attach(const HandleList& tensors);  // attaching twice is a no-op
  void record();                           // starts recording (ValueError if already)
  void release();                          // stops recording; idempotent
  bool recording() const { return recording_; }
  // dys[i] may be null only for a scalar ys[i] (then it is 1).
  void backward(const HandleList& ys, const HandleList& dys);
  HandleList attached() const;

 private:
  std::vector<std::weak_ptr<TensorHandle>> attached_;
  bool recording_ = false;
};

}  // namespace imperative
}  // namespace kiln
