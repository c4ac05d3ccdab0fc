// Dynamic-batch reshape: a trace records reshape targets as plain ints, so
// flatten at batch 4 records reshape(x, [4, -1]) and the graph then rejects
// every other batch size. When a graph input's leading dim is dynamic, this
// pass follows the batch through the graph (shape inference at the traced
// sizes and at the dynamic dims + 1) and rewrites each reshape that keeps
// the batch as its leading dim to target [-1, d1, d2, ...] (its traced
// output dims), which is the same reshape at the traced sizes and the
// intended one at any other batch.
//
// Only reshapes whose input varies in dim 0 alone and whose output's dim 0
// equals the input's are rewritten (not ones that merge the batch into
// another dim). The walk stops at the first node that cannot follow another
// batch size; the graph before it keeps its rewrites.
#pragma once

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class DynamicBatchReshape final : public Pass {
 public:
  const char* name() const override { return "dynamic_batch_reshape"; }
  bool run(Graph& g) override;
};

}  // namespace graph
}  // namespace kiln
