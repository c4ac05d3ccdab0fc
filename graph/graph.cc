#include "graph/graph.h"

#include <sstream>

#include "kernels/core/error.h"

namespace kiln {
namespace graph {

const char* value_kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kIntermediate: return "value";
    case ValueKind::kInput: return "input";
    case ValueKind::kConstant: return "const";
    case ValueKind::kState: return "state";
  }
  return "?";
}

ValueId Graph::new_value(ValueKind kind, const TensorMeta& meta, const std::string& name) {
  Value v;
  v.id = static_cast<ValueId>(values_.size());
  v.kind = kind;
  v.meta = meta;
  v.name = name;
  values_.push_back(v);
  return v.id;
}

ValueId Graph::add_input(const std::string& name, const TensorMeta& meta, uint32_t dynamic_dims) {
  const ValueId id = new_value(ValueKind::kInput, meta, name);
  values_[id].dynamic_dims = dynamic_dims;
  inputs_.push_back(id);
  return id;
}

ValueId Graph::add_constant(const std::string& name, Tensor value) {
  const ValueId id = new_value(ValueKind::kConstant, value.meta(), name);
  tensors_[id] = std::move(value);
  return id;
}

ValueId Graph::add_state(const std::string& name, Tensor initial) {
  const ValueId id = new_value(ValueKind::kState, initial.meta(), name);
  tensors_[id] = std::move(initial);
  states_.push_back(id);
  return id;
}

std::vector<ValueId> Graph::add_node(const OpCall& op, const std::vector<ValueId>& inputs) {
  std::vector<TensorMeta> metas;
  for (ValueId v : inputs) metas.push_back(value(v).meta);
  const std::vector<TensorMeta> out_metas = op.def->infer_outputs(op.attrs, metas);
  Node node{op, inputs, {}};
  for (size_t i = 0; i < out_metas.size(); ++i) {
    const ValueId id = new_value(ValueKind::kIntermediate, out_metas[i], "");
    values_[id].producer = static_cast<int>(nodes_.size());
    values_[id].output_index = static_cast<int>(i);
    node.outputs.push_back(id);
  }
  nodes_.push_back(std::move(node));
  return nodes_.back().outputs;
}

void Graph::add_output(const std::string& name, ValueId value) {
  KILN_CHECK(value >= 0 && value < num_values(), kValue, "graph output '", name,
             "' refers to value ", value, " of ", num_values());
  outputs_.push_back({name, value});
}

void Graph::set_state_update(ValueId state, ValueId value) {
  KILN_CHECK(this->value(state).kind == ValueKind::kState, kValue, "value %", state,
             " is not a state variable");
  KILN_CHECK(this->value(state).meta == this->value(value).meta, kValue, "state '",
             this->value(state).name, "' is ", this->value(state).meta.str(),
             " but its update is ", this->value(value).meta.str());
  state_updates_[state] = value;
}

void Graph::reindex() {
  for (Value& v : values_)
    if (v.kind == ValueKind::kIntermediate) v.producer = -1;
  for (size_t n = 0; n < nodes_.size(); ++n)
    for (size_t i = 0; i < nodes_[n].outputs.size(); ++i) {
      Value& v = values_.at(nodes_[n].outputs[i]);
      v.producer = static_cast<int>(n);
      v.output_index = static_cast<int>(i);
    }
}

namespace {
std::string ref(const Graph& g, ValueId id) {
  const Value& v = g.value(id);
  return v.name.empty() ? str_cat("%", id) : str_cat("%", id, ":", v.name);
}
}  // namespace

std::string Graph::str() const {
  std::ostringstream os;
  for (const Value& v : values_) {
    if (v.kind == ValueKind::kIntermediate) continue;
    os << value_kind_name(v.kind) << " " << ref(*this, v.id) << " " << v.meta.str();
    if (v.dynamic_dims) os << " dynamic=" << v.dynamic_dims;
    os << "\n";
  }
  for (const Node& n : nodes_) {
    for (size_t i = 0; i < n.outputs.size(); ++i)
      os << (i ? ", " : "") << ref(*this, n.outputs[i]);
    os << " = " << n.op.name() << "(";
    for (size_t i = 0; i < n.inputs.size(); ++i) os << (i ? ", " : "") << ref(*this, n.inputs[i]);
    os << ")";
    if (!n.op.attrs.empty()) os << " {" << n.op.attrs.str() << "}";
    os << "  # " << value(n.outputs.empty() ? 0 : n.outputs[0]).meta.str() << "\n";
  }
  for (const auto& o : outputs_) os << "output " << o.name << " = " << ref(*this, o.value) << "\n";
  for (ValueId s : states_) {
    auto it = state_updates_.find(s);
    if (it != state_updates_.end())
      os << "update " << ref(*this, s) << " <- " << ref(*this, it->second) << "\n";
  }
  return os.str();
}

}  // namespace graph
}  // namespace kiln
