#include "graph/lifetimes.h"

#include <algorithm>

#include "graph/rewrite.h"

namespace kiln {
namespace graph {

BufferAssignment assign_buffers(const Graph& g, bool allow_in_place) {
  const Uses uses(g);
  const int steps = static_cast<int>(g.nodes().size());
  BufferAssignment a;
  a.buffer_of.assign(g.num_values(), -1);
  // Each value's last step: its last reader, the end for state updates.
  std::vector<int> last(g.num_values(), -1);
  for (ValueId v = 0; v < g.num_values(); ++v) {
    if (!uses.consumers(v).empty()) last[v] = uses.consumers(v).back();
    if (uses.is_state_update(v)) last[v] = steps;
  }
  const auto in_arena = [&](ValueId v) {
    return g.value(v).kind == ValueKind::kIntermediate && !uses.is_graph_output(v);
  };
  const auto bytes = [&](ValueId v) {
    const TensorMeta& m = g.value(v).meta;
    return static_cast<size_t>(m.shape.numel()) * dtype_size(m.dtype);
  };
  for (int n = 0; n < steps; ++n) {
    const Node& node = g.nodes()[n];
    const OpKind kind = node.op.def->kind;
    const bool elementwise =
        (kind == OpKind::kUnary || kind == OpKind::kBinary) && node.outputs.size() == 1;
    // The inputs output 0 may take the buffer of: any for elementwise ops,
    // else the one the op names (an accumulating kernel's), if any.
    std::vector<ValueId> reusable;
    if (elementwise) {
      reusable = node.inputs;
    } else if (node.op.def->in_place_input) {
      const int i =
          node.op.def->in_place_input(node.op.attrs, static_cast<int>(node.inputs.size()));
      // Not when the kernel also reads that value as another input (a conv
      // whose residual is its own src): writing would clobber what it reads.
      if (i >= 0 && std::count(node.inputs.begin(), node.inputs.end(), node.inputs[i]) == 1)
        reusable.push_back(node.inputs[i]);
    }
    for (ValueId out : node.outputs) {
      if (!in_arena(out)) continue;
      const int out_last = std::max(n, last[out]);
      if (allow_in_place && !reusable.empty() && out == node.outputs[0]) {
        for (ValueId in : reusable) {
          const int b = a.buffer_of[in];
          if (b < 0 || last[in] != n || a.buffers[b].last_use != n || bytes(in) != bytes(out) ||
              g.value(in).meta.shape.numel() != g.value(out).meta.shape.numel())
            continue;
          a.buffer_of[out] = b;
          a.buffers[b].last_use = out_last;
          ++a.in_place;
          break;
        }
        if (a.buffer_of[out] >= 0) continue;
      }
      a.buffer_of[out] = static_cast<int>(a.buffers.size());
      a.buffers.push_back({bytes(out), n, out_last});
    }
  }
  return a;
}

}  // namespace graph
}  // namespace kiln
