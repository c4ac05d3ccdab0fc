// The tracing layer (JAX's DynamicJaxprTrace): pushed between autograd and
// execution while a traced function runs for the first time, it records
// every op into a graph::Graph. Forward, backward (autograd emits its rules
// through this layer) and optimizer updates all become nodes.
//
// Values are classified as the function touches them:
//  - arguments (add_argument) become graph inputs;
//  - tensors that existed before the trace began become state (read at the
//    start of a run and, when the function assigns them, written back), or
//    constants with capture_as_const;
//  - tensors created inside the function from Python data become constants.
// Symbolic traces record without running kernels: their values are metas
// only, and reading one is an error.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "graph/graph.h"
#include "imperative/dispatch.h"

namespace kiln {
namespace imperative {

class Tracer final : public Layer {
 public:
  Tracer(bool symbolic, bool capture_as_const);
  ~Tracer() override;

  void begin();  // installs the layer; one trace at a time
  void add_argument(const HandlePtr& handle, const std::string& name, uint32_t dynamic_dims);
  HandleList apply(const OpCall& op, const HandleList& inputs) override;
  // TensorHandle::assign calls this while the trace is active.
  void on_assign(const TensorHandle& target, const TensorHandle& source);
  // GradManager::backward calls this for each parameter whose .grad it set.
  void on_grad(const HandlePtr& param);
  void add_output(const HandlePtr& handle, const std::string& name);
  // Uninstalls the layer and completes the graph (state updates included).
  // Symbolic traces restore every state handle's pre-trace value.
  graph::Graph finish();
  void abort();  // uninstalls after an error; restores state values

  bool symbolic() const { return symbolic_; }
  // With capture_as_const: the function assigned a tensor it had read as a
  // constant (batch-norm statistics in training mode); replays and dumps
  // would not update it.
  bool writes_constants() const { return writes_constants_; }
  bool is_traced(const TensorHandle& handle) const;
  // State handles in the order of graph.states(), read and written by replays.
  const HandleList& state_handles() const { return state_handles_; }

 private:
  // The handle's graph value; classifies handles the trace has not seen.
  graph::ValueId value_of(const HandlePtr& handle, bool force_state = false);
  void bind(TensorHandle& handle, graph::ValueId id);
  void uninstall();

  bool symbolic_, capture_as_const_, active_ = false, writes_constants_ = false;
  uint64_t epoch_ = 0, start_serial_ = 0;
  graph::Graph graph_;
  HandleList state_handles_;
  std::vector<Tensor> state_initial_;                 // per state handle, for symbolic restore
  std::unordered_map<graph::ValueId, graph::ValueId> pending_updates_;  // state -> value
  std::unordered_map<const TensorHandle*, graph::ValueId> state_of_;   // handle -> state value
  std::vector<std::weak_ptr<TensorHandle>> grads_;  // params whose .grad the trace set
  int constants_ = 0;
};

// The tracer whose layer is installed, or null.
Tracer* active_tracer();

}  // namespace imperative
}  // namespace kiln
