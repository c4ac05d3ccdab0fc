// From a graph with concrete metas to the planner's buffer list: one buffer
// per intermediate value the arena holds, live from the step that produces it
// to its last reader. Values the arena does not hold: graph inputs,
// constants and states (caller- or graph-owned) and graph outputs (written
// straight into caller-provided tensors). Values that update states stay
// live to the end of the run (they are copied back after the last step).
//
// In-place: the output of an elementwise node (OpKind kUnary or kBinary, one
// output) takes over an input's buffer when that input is held by the arena,
// its last reader is this node, and the two have equal byte sizes and
// element counts (so element i of the input is element i of the output: the
// CPU loops read each element before writing it). Likewise output 0 of an op
// whose OpDef names an in-place input (conv2d with a residual: the sum
// post-op reads each element before writing it), unless the node reads that
// value through another input as well.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/memory_planner.h"

namespace kiln {
namespace graph {

struct BufferAssignment {
  std::vector<BufferRequest> buffers;  // steps are node indices
  std::vector<int> buffer_of;          // per value: buffer index, or -1 (not in the arena)
  int in_place = 0;                    // outputs that reuse an input's buffer
};

BufferAssignment assign_buffers(const Graph& g, bool allow_in_place = true);

}  // namespace graph
}  // namespace kiln
