#include "imperative/autograd.h"

#include <algorithm>
#include <unordered_set>

#include "kernels/core/error.h"

namespace kiln {
namespace imperative {
namespace {

int recording_depth = 0;

std::vector<SavedValue> save_all(const HandleList& handles) {
  std::vector<SavedValue> out;
  out.reserve(handles.size());
  for (const HandlePtr& h : handles) out.push_back({h->value(), h->trace_id});
  return out;
}

HandlePtr add_grads(const HandlePtr& a, const HandlePtr& b) {
  if (a == nullptr) return b;
  return apply_below_autograd(OpCall::make("add"), {a, b})[0];
}

// GradContext over one recorded node; ops it emits are not recorded.
class NodeGradContext final : public GradContext {
 public:
  NodeGradContext(const GradNode& node, const HandleList& out_grads)
      : node_(node),
        out_grads_(out_grads),
        in_grads_(node.inputs.size()),
        inputs_(node.saved_inputs.size()),
        outputs_(node.saved_outputs.size()) {}

  const Attrs& attrs() const override { return node_.op.attrs; }
  int num_inputs() const override { return static_cast<int>(node_.inputs.size()); }
  ValueRef input(int i) const override { return handle(node_.saved_inputs.at(i), inputs_.at(i)); }
  ValueRef output(int i) const override { return handle(node_.saved_outputs.at(i), outputs_.at(i)); }
  ValueRef output_grad(int i) const override { return out_grads_.at(i); }
  bool needs_input_grad(int i) const override {
    const GradEdge& e = node_.inputs.at(i);
    return e.node != nullptr || !e.leaf.expired();
  }
  void set_input_grad(int i, ValueRef grad) override {
    auto h = std::static_pointer_cast<TensorHandle>(grad);
    const TensorMeta want = node_.saved_inputs.at(i).value.meta();
    KILN_CHECK(h->meta() == want, kRuntime, "gradient rule of ", node_.op.name(),
               " produced ", h->meta().str(), " for input ", i, "; expected ", want.str());
    in_grads_[i] = std::move(h);
  }
  std::vector<ValueRef> emit(const OpDef& op, const Attrs& attrs,
                             const std::vector<ValueRef>& inputs) override {
    HandleList handles;
    handles.reserve(inputs.size());
    for (const ValueRef& v : inputs) handles.push_back(std::static_pointer_cast<TensorHandle>(v));
    HandleList out = apply_below_autograd(OpCall(op, attrs), handles);
    return {out.begin(), out.end()};
  }
  const HandleList& input_grads() const { return in_grads_; }

 private:
  // One handle per saved value, made the first time the rule reads it.
  static HandlePtr handle(const SavedValue& saved, HandlePtr& slot) {
    if (slot == nullptr) {
      slot = make_handle(saved.value);
      slot->trace_id = saved.trace_id;
    }
    return slot;
  }

  const GradNode& node_;
  const HandleList& out_grads_;
  HandleList in_grads_;
  mutable HandleList inputs_, outputs_;
};

}  // namespace

void begin_recording() { ++recording_depth; }
void end_recording() {
  if (recording_depth > 0) --recording_depth;
}
bool is_recording() { return recording_depth > 0; }

AutogradLayer& AutogradLayer::instance() {
  static AutogradLayer* layer = new AutogradLayer();
  return *layer;
}

HandleList AutogradLayer::apply(const OpCall& op, const HandleList& inputs) {
  bool any_requires_grad = false;
  for (const HandlePtr& h : inputs) any_requires_grad |= h->requires_grad();
  if (!any_requires_grad || !op.def->differentiable()) return next->apply(op, inputs);

  HandleList outputs = next->apply(op, inputs);
  auto node = std::make_shared<GradNode>();
  node->op = op;
  node->inputs.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    GradEdge& e = node->inputs[i];
    e.node = inputs[i]->grad_node();
    e.output_index = inputs[i]->grad_output_index();
    if (e.node == nullptr && inputs[i]->attach_count > 0) e.leaf = inputs[i];
  }
  node->saved_inputs = save_all(inputs);
  node->saved_outputs = save_all(outputs);
  for (size_t i = 0; i < outputs.size(); ++i)
    if (is_floating(outputs[i]->value().dtype())) outputs[i]->set_grad_node(node, static_cast<int>(i));
  return outputs;
}

std::unordered_map<TensorHandle*, HandlePtr> backpropagate(const HandleList& ys,
                                                           const HandleList& dys) {
  // Count, for every reachable node, how many reachable consumers feed it.
  std::unordered_map<GradNode*, int> pending;
  std::vector<GradNode*> stack;
  for (const HandlePtr& y : ys)
    if (y->grad_node()) stack.push_back(y->grad_node().get());
  std::unordered_set<GradNode*> seen(stack.begin(), stack.end());
  while (!stack.empty()) {
    GradNode* n = stack.back();
    stack.pop_back();
    for (const GradEdge& e : n->inputs) {
      if (!e.node) continue;
      ++pending[e.node.get()];
      if (seen.insert(e.node.get()).second) stack.push_back(e.node.get());
    }
  }

  std::unordered_map<GradNode*, HandleList> out_grads;
  std::unordered_map<TensorHandle*, HandlePtr> leaf_grads;
  std::vector<std::shared_ptr<GradNode>> ready;
  for (size_t i = 0; i < ys.size(); ++i) {
    const auto& node = ys[i]->grad_node();
    if (node == nullptr) {
      if (ys[i]->attach_count > 0) leaf_grads[ys[i].get()] = add_grads(leaf_grads[ys[i].get()], dys[i]);
      continue;
    }
    HandleList& g = out_grads[node.get()];
    g.resize(node->saved_outputs.size());
    HandlePtr& slot = g[ys[i]->grad_output_index()];
    slot = add_grads(slot, dys[i]);
    if (pending[node.get()] == 0 &&
        std::find(ready.begin(), ready.end(), node) == ready.end())
      ready.push_back(node);
  }

  while (!ready.empty()) {
    std::shared_ptr<GradNode> node = ready.back();
    ready.pop_back();
    HandleList grads = std::move(out_grads[node.get()]);
    out_grads.erase(node.get());
    grads.resize(node->saved_outputs.size());
    NodeGradContext ctx(*node, grads);
    // A node reached only through inputs whose rules gave no gradient has
    // nothing to propagate: skip its rule, still release its inputs.
    if (std::any_of(grads.begin(), grads.end(), [](const HandlePtr& g) { return g != nullptr; }))
      node->op.def->grad(ctx);
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      const GradEdge& e = node->inputs[i];
      const HandlePtr& g = ctx.input_grads()[i];
      if (e.node) {
        if (g) {
          HandleList& slot = out_grads[e.node.get()];
          slot.resize(e.node->saved_outputs.size());
          slot[e.output_index] = add_grads(slot[e.output_index], g);
        }
        if (--pending[e.node.get()] == 0) ready.push_back(e.node);
      } else if (auto leaf = e.leaf.lock(); leaf && g) {
        leaf_grads[leaf.get()] = add_grads(leaf_grads[leaf.get()], g);
      }
    }
  }
  return leaf_grads;
}

}  // namespace imperative
}  // namespace kiln
