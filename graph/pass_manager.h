// Graph passes and the manager that runs them (ONNX Runtime's
// graph_transformer_mgr): one visible pipeline per purpose, passes disabled
// by name, repeated to a bounded fixpoint, graph::verify after every pass.
//
// Passes may add values and erase nodes; value ids of inputs, states and
// outputs stay valid. optimize_for_inference/optimize_for_training finish
// with compact(), which renumbers values but keeps graph.inputs() and
// graph.states() in order: callers refer to them by position or by name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace kiln {
namespace graph {

class Pass {
 public:
  virtual ~Pass() = default;
  // Stable snake_case name, used by --disable-pass and in reports.
  virtual const char* name() const = 0;
  // Rewrites g and returns whether anything changed. The graph must stay
  // valid (graph::verify) and compute the same outputs and state updates.
  virtual bool run(Graph& g) = 0;
};

struct PassOptions {
  std::vector<std::string> disabled;  // pass names; unknown names are an error
  int max_rounds = 8;                 // rounds of the whole list, >= 1
  bool verify_each = true;            // graph::verify after every pass (cheap)
};

struct PassReport {
  struct Run {
    std::string pass;
    int round;
    bool changed;
    int nodes_after;
  };
  std::vector<Run> runs;
  int rounds = 0;
  bool converged = false;  // the last round changed nothing
  int nodes_before = 0, nodes_after = 0;
  std::string str() const;  // one line per pass that changed something
};

class PassManager {
 public:
  explicit PassManager(PassOptions options = {});
  // Appends a pass; a second pass of the same name is an error.
  PassManager& add(std::unique_ptr<Pass> pass);
  // Runs the enabled passes in order, round after round, until a round
  // changes nothing or max_rounds is reached. Errors (a pass throwing, or
  // leaving a graph verify rejects) name the pass and the round.
  PassReport run(Graph& g) const;
  std::vector<std::string> names() const;

 private:
  PassOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
};

// The default pipelines, in the order they run.
// Inference: dynamic-batch reshapes, dead code, constant folding, common
// subexpressions, algebraic simplification, conv + batch-norm folding,
// bias + activation fusion.
std::vector<std::unique_ptr<Pass>> inference_passes();
// Training (traced steps): only rewrites that keep training semantics.
std::vector<std::unique_ptr<Pass>> training_passes();

// CPU lowering, run on a loaded model's graph before it is compiled (not
// saved in model files, which stay in the layouts they were written in):
// channels-last layout, transpose sinking, algebraic simplification,
// residual add fusion, bias + activation fusion (a relu after a residual
// add), dead code.
std::vector<std::unique_ptr<Pass>> cpu_lowering_passes();

// Runs the pipeline (minus options.disabled) on g, then compacts it.
PassReport optimize_for_inference(Graph& g, const PassOptions& options = {});
PassReport optimize_for_training(Graph& g, const PassOptions& options = {});
PassReport lower_for_cpu(Graph& g, const PassOptions& options = {});

}  // namespace graph
}  // namespace kiln
