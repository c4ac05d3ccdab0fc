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
    for (ValueId out : node.outputs) {
      if (!in_arena(out)) continue;
      const int out_last = std::max(n, last[out]);
      if (allow_in_place && elementwise) {
        for (ValueId in : node.inputs) {
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
