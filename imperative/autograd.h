// Reverse-mode autodiff. While some GradManager records, the autograd layer
// turns every differentiable op whose inputs require grad into a GradNode;
// outputs point at their node, nodes point at their inputs' nodes (or
// leaves), so the recorded graph lives exactly as long as its outputs.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "imperative/dispatch.h"

namespace kiln {
namespace imperative {

struct GradEdge {
  std::shared_ptr<GradNode> node;     // producer of the input, or null
  int output_index = 0;
  std::weak_ptr<TensorHandle> leaf;   // set when the input is a leaf that requires grad
};

// A value a gradient rule may read: the tensor and its trace identity, not
// a handle (no edges, so no cycles; no allocation while recording). Rules
// get handles made from it on demand.
struct SavedValue {
  Tensor value;
  uint64_t trace_id = 0;
};

struct GradNode {
  OpCall op;
  std::vector<GradEdge> inputs;
  std::vector<SavedValue> saved_inputs;
  std::vector<SavedValue> saved_outputs;
};

class AutogradLayer final : public Layer {
 public:
  HandleList apply(const OpCall& op, const HandleList& inputs) override;
  static AutogradLayer& instance();
};

// Recording is on while the depth is positive (GradManager::record/release).
void begin_recording();
void end_recording();
bool is_recording();

// Propagates dys from ys back to the leaves; returns each reached leaf's
// gradient. dys[i] must match ys[i]'s meta.
std::unordered_map<TensorHandle*, HandlePtr> backpropagate(const HandleList& ys,
                                                           const HandleList& dys);

}  // namespace imperative
}  // namespace kiln
