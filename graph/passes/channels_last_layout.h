// Channels-last layout (CPU lowering, not part of the file format): runs
// conv2d and the forward pools in NHWC, the layout oneDNN's CPU kernels read
// and write without reorders, while the graph's inputs and outputs keep the
// NCHW the model was written in. Each NCHW node becomes
//   x -> transpose(0, 2, 3, 1) -> op(format = NHWC) -> transpose(0, 3, 1, 2)
// with the original output id kept on the last transpose. On its own that
// adds two copies per node; TransposeSinking (run after it) cancels the
// pairs between consecutive layers and moves the rest through elementwise
// ops, so a CNN runs NHWC from its first conv to its global pool.
// Nodes already in NHWC, and 4-d inputs to other ops, are left alone.
#pragma once

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class ChannelsLastLayout final : public Pass {
 public:
  const char* name() const override { return "channels_last_layout"; }
  bool run(Graph& g) override;
};

}  // namespace graph
}  // namespace kiln
