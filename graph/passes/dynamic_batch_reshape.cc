#include "graph/passes/dynamic_batch_reshape.h"

#include "kernels/core/error.h"

namespace kiln {
namespace graph {
namespace {

// The reshape target that keeps dim 0 free, or none when the node is not a
// batch-keeping reshape: `traced` and `other` are its input at the traced
// sizes and at the perturbed ones, `out` its traced output.
bool batch_target(const Shape& traced, const Shape& other, const Shape& out,
                  std::vector<int64_t>* target) {
  if (traced.rank() < 1 || out.rank() < 1 || traced[0] <= 0 || other[0] == traced[0]) return false;
  for (int d = 1; d < traced.rank(); ++d)
    if (other[d] != traced[d]) return false;
  if (out[0] != traced[0]) return false;
  *target = out.vec();
  (*target)[0] = -1;
  return true;
}

}  // namespace

bool DynamicBatchReshape::run(Graph& g) {
  // Metas at the perturbed sizes, filled in node order.
  std::vector<TensorMeta> other(g.num_values());
  bool dynamic = false;
  for (ValueId v = 0; v < g.num_values(); ++v) {
    const Value& value = g.value(v);
    other[v] = value.meta;
    if (value.kind != ValueKind::kInput) continue;
    for (int d = 0; d < value.meta.shape.rank(); ++d)
      if (value.dynamic_dims >> d & 1u) {
        other[v].shape[d] += 1;
        dynamic = true;
      }
  }
  if (!dynamic) return false;
  bool changed = false;
  for (Node& node : g.mutable_nodes()) {
    std::vector<int64_t> target;
    if (node.op.name() == "reshape" &&
        batch_target(g.value(node.inputs[0]).meta.shape, other[node.inputs[0]].shape,
                     g.value(node.outputs[0]).meta.shape, &target) &&
        target != node.op.attrs.get_ints("shape")) {
      Attrs attrs = node.op.attrs;
      attrs.set("shape", target);
      node.op = OpCall(*node.op.def, attrs);
      changed = true;
    }
    std::vector<TensorMeta> in;
    for (ValueId v : node.inputs) in.push_back(other[v]);
    try {
      const std::vector<TensorMeta> out = node.op.def->infer_outputs(node.op.attrs, in);
      for (size_t i = 0; i < out.size(); ++i) other[node.outputs[i]] = out[i];
    } catch (const Error&) {
      break;  // this node cannot follow the batch: nothing after it can be told
    }
  }
  return changed;
}

}  // namespace graph
}  // namespace kiln
