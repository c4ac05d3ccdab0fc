#include "imperative/tracer.h"

#include "imperative/eager.h"
#include "kernels/core/error.h"

namespace kiln {
namespace imperative {
namespace {

Tracer* current = nullptr;
uint64_t next_epoch = 1;

constexpr int kIdBits = 32;

// A value without memory: what symbolic traces compute.
Tensor abstract_tensor(const TensorMeta& meta) {
  return Tensor(nullptr, meta.dtype, meta.shape, contiguous_strides(meta.shape), 0);
}

}  // namespace

Tracer* active_tracer() { return current; }

Tracer::Tracer(bool symbolic, bool capture_as_const)
    : symbolic_(symbolic), capture_as_const_(capture_as_const) {}

Tracer::~Tracer() {
  if (active_) abort();
}

void Tracer::begin() {
  KILN_CHECK(current == nullptr, kValue,
             "a traced function was called while another one is being traced; "
             "nested traces are not supported");
  epoch_ = next_epoch++;
  start_serial_ = TensorHandle::current_serial();
  push_layer(this);
  current = this;
  active_ = true;
}

void Tracer::uninstall() {
  if (!active_) return;
  pop_layer(this);
  current = nullptr;
  active_ = false;
}

bool Tracer::is_traced(const TensorHandle& h) const {
  return h.trace_id != 0 && (h.trace_id >> kIdBits) == epoch_;
}

void Tracer::bind(TensorHandle& handle, graph::ValueId id) {
  handle.trace_id = (epoch_ << kIdBits) | static_cast<uint64_t>(id + 1);
}

void Tracer::add_argument(const HandlePtr& handle, const std::string& name, uint32_t dynamic_dims) {
  KILN_CHECK(!is_traced(*handle), kValue, "trace: argument '", name,
             "' is the same tensor as an earlier argument; pass distinct tensors");
  bind(*handle, graph_.add_input(name, handle->meta(), dynamic_dims));
}

graph::ValueId Tracer::value_of(const HandlePtr& handle, bool force_state) {
  if (is_traced(*handle)) return static_cast<graph::ValueId>((handle->trace_id & 0xffffffffu) - 1);
  const Tensor& value = handle->value();
  KILN_CHECK(value.defined(), kValue,
             "trace: a tensor from an earlier symbolic trace has no value; it cannot be used");
  graph::ValueId id;
  if (!force_state && (handle->serial >= start_serial_ || capture_as_const_)) {
    id = graph_.add_constant(str_cat("const", constants_++), value);
  } else {
    id = graph_.add_state(str_cat("state", state_handles_.size()), value);
    state_handles_.push_back(handle);
    state_initial_.push_back(value);
    state_of_[handle.get()] = id;
  }
  bind(*handle, id);
  return id;
}

HandleList Tracer::apply(const OpCall& op, const HandleList& inputs) {
  std::vector<graph::ValueId> ids;
  ids.reserve(inputs.size());
  for (const HandlePtr& h : inputs) ids.push_back(value_of(h));
  const std::vector<graph::ValueId> out_ids = graph_.add_node(op, ids);
  HandleList outputs;
  if (symbolic_) {
    for (graph::ValueId id : out_ids) outputs.push_back(make_handle(abstract_tensor(graph_.value(id).meta)));
  } else {
    outputs = next->apply(op, inputs);
  }
  for (size_t i = 0; i < outputs.size(); ++i) bind(*outputs[i], out_ids[i]);
  return outputs;
}

void Tracer::on_assign(const TensorHandle& target, const TensorHandle& source) {
  if (target.serial >= start_serial_) return;  // made inside the function: it just follows source
  auto it = state_of_.find(&target);
  if (it == state_of_.end() && is_traced(target)) {
    const graph::Value& v = graph_.value(static_cast<graph::ValueId>((target.trace_id & 0xffffffffu) - 1));
    KILN_CHECK(v.kind != graph::ValueKind::kInput, kValue, "trace: argument '", v.name,
               "' is modified in place; traced functions cannot write their arguments "
               "(compute a new tensor instead)");
    if (v.kind == graph::ValueKind::kConstant) {  // captured as a constant: the write is lost
      writes_constants_ = true;
      return;
    }
  }
  // A tensor written before it is read becomes state all the same (even
  // with capture_as_const: dump() refuses graphs that write state).
  const graph::ValueId state = it != state_of_.end()
                                   ? it->second
                                   : value_of(std::const_pointer_cast<TensorHandle>(
                                                  target.shared_from_this()),
                                              /*force_state=*/true);
  pending_updates_[state] =
      value_of(std::const_pointer_cast<TensorHandle>(source.shared_from_this()));
}

void Tracer::on_grad(const HandlePtr& param) { grads_.push_back(param); }

void Tracer::add_output(const HandlePtr& handle, const std::string& name) {
  graph_.add_output(name, value_of(handle));
}

graph::Graph Tracer::finish() {
  uninstall();
  for (const auto& weak : grads_) {
    auto param = weak.lock();
    if (param && param->grad && is_traced(*param->grad)) {
      abort();
      throw_error(ErrorKind::kValue,
                  "trace: gradients computed inside the traced function are still in .grad when it "
                  "returns, but a replay does not set .grad; use them inside the function "
                  "(opt.step()) and clear them there (opt.clear_grad())");
    }
  }
  for (const auto& [state, update] : pending_updates_) graph_.set_state_update(state, update);
  if (symbolic_) abort();
  graph::verify(graph_);
  return std::move(graph_);
}

void Tracer::abort() {
  uninstall();
  if (symbolic_)
    for (size_t i = 0; i < state_handles_.size(); ++i) state_handles_[i]->reset_value(state_initial_[i]);
}

}  // namespace imperative
}  // namespace kiln
