// The static IR: SSA values with dtype and shape, nodes applying OpCalls,
// and the roles values play for a run: inputs (arguments), constants
// (baked-in tensors), state (parameters, buffers, optimizer slots: read at the
// start of a run and written back at its end) and outputs.
//
// Every value's meta is concrete: the shapes of the signature the graph was
// built (traced) for. A graph input may mark dimensions dynamic (such as the
// batch); compiling for other concrete input shapes re-infers every node.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/core/tensor.h"
#include "kernels/op_call.h"

namespace kiln {
namespace graph {

using ValueId = int;

enum class ValueKind { kIntermediate, kInput, kConstant, kState };
const char* value_kind_name(ValueKind kind);

struct Value {
  ValueId id = -1;
  ValueKind kind = ValueKind::kIntermediate;
  TensorMeta meta;
  uint32_t dynamic_dims = 0;  // inputs: bit d set when dim d may vary between runs
  std::string name;      // unique among named values; may be empty for intermediates
  int producer = -1;     // node index for intermediates
  int output_index = 0;  // which output of the producer
};

struct Node {
  OpCall op;
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
};

struct NamedValue {
  std::string name;
  ValueId value;
};

class Graph {
 public:
  ValueId add_input(const std::string& name, const TensorMeta& meta, uint32_t dynamic_dims = 0);
  ValueId add_constant(const std::string& name, Tensor value);
  ValueId add_state(const std::string& name, Tensor initial);
  // Appends a node; infers its outputs from its inputs' metas (throws the
  // op's own error on invalid combinations). Returns the output ids.
  std::vector<ValueId> add_node(const OpCall& op, const std::vector<ValueId>& inputs);
  void add_output(const std::string& name, ValueId value);
  // After a run, state `state` takes the value `value`.
  void set_state_update(ValueId state, ValueId value);

  const Value& value(ValueId id) const { return values_.at(id); }
  Value& mutable_value(ValueId id) { return values_.at(id); }
  int num_values() const { return static_cast<int>(values_.size()); }
  const std::vector<Node>& nodes() const { return nodes_; }
  std::vector<Node>& mutable_nodes() { return nodes_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<NamedValue>& outputs() const { return outputs_; }
  std::vector<NamedValue>& mutable_outputs() { return outputs_; }
  const std::vector<ValueId>& states() const { return states_; }
  // state id -> value it is updated to (absent: read-only state)
  const std::unordered_map<ValueId, ValueId>& state_updates() const { return state_updates_; }
  std::unordered_map<ValueId, ValueId>& mutable_state_updates() { return state_updates_; }
  // Constant and state tensors (state: the current value).
  const Tensor& tensor(ValueId id) const { return tensors_.at(id); }
  void set_tensor(ValueId id, Tensor t) { tensors_[id] = std::move(t); }
  const std::unordered_map<ValueId, Tensor>& tensors() const { return tensors_; }

  // Rebuilds producer links after passes edited the node list.
  void reindex();
  // Diffable text: one line per value role and per node.
  std::string str() const;

 private:
  ValueId new_value(ValueKind kind, const TensorMeta& meta, const std::string& name);
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_, states_;
  std::vector<NamedValue> outputs_;
  std::unordered_map<ValueId, ValueId> state_updates_;
  std::unordered_map<ValueId, Tensor> tensors_;
};

// Checks the invariants every pass must keep: ids in range, each node's
// inputs defined before it (topological order), each value produced once,
// metas equal to what the op infers, outputs and state updates defined,
// unique names. Throws kiln::Error naming the node and showing its neighbours.
void verify(const Graph& graph);

}  // namespace graph
}  // namespace kiln
