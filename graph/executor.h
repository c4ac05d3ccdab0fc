// The executor: a graph compiled for one concrete input signature.
//
// Compilation walks four named phases, each asserted by the next:
//   infer    re-infer every node for the given input metas (shape_inference);
//   prepare  one kernel per node, prepared once for its metas (oneDNN
//            primitives built here, never in run);
//   plan     lifetimes -> memory planner -> one arena; every intermediate is a
//            contiguous view into it (in-place for elementwise ops where legal);
//   ready    run() may be called any number of times.
//
// run() binds the caller's inputs, states and outputs, runs the kernels in
// order and writes state updates back. It allocates no tensors: the arena,
// the kernels and every argument array exist from compile time. Constants are
// used in place. Movement ops run their copy kernels, so every value a
// kernel sees is a packed tensor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/lifetimes.h"
#include "graph/memory_planner.h"
#include "kernels/kernel.h"

namespace kiln {
namespace graph {

struct ExecutableOptions {
  Backend backend = Backend::kCpu;
  bool in_place = true;  // let elementwise outputs reuse a dying input's buffer
  bool profile = false;  // time every step of every run (profile_str)
};

class Executable {
 public:
  enum class Phase { kInfer, kPrepare, kPlan, kReady };
  static const char* phase_name(Phase phase);

  // Compiles g for inputs of `input_metas` (graph.inputs() order), checked
  // against the declared inputs. Errors name the node and op that failed.
  Executable(const Graph& g, const std::vector<TensorMeta>& input_metas,
             const ExecutableOptions& options = {});
  ~Executable();
  Executable(const Executable&) = delete;
  Executable& operator=(const Executable&) = delete;

  // One run. All tensors must be packed (contiguous) and have the metas
  // below; none may alias another.
  //   inputs:  graph.inputs() order;
  //   states:  graph.states() order; read during the run, then overwritten
  //            in place with their updates (states without one are kept);
  //   outputs: graph.outputs() order; written in place (allocate_outputs()).
  void run(const std::vector<Tensor>& inputs, const std::vector<Tensor>& states,
           const std::vector<Tensor>& outputs);
  std::vector<Tensor> allocate_outputs() const;

  const std::vector<TensorMeta>& input_metas() const { return input_metas_; }
  const std::vector<TensorMeta>& state_metas() const { return state_metas_; }
  const std::vector<TensorMeta>& output_metas() const { return output_metas_; }
  Phase phase() const { return phase_; }
  int num_steps() const;
  size_t arena_bytes() const { return plan_.peak_bytes; }    // the planned peak
  size_t naive_arena_bytes() const { return naive_bytes_; }  // without any sharing
  int in_place_count() const { return in_place_; }
  // The op sequence with each value's arena offset, and the peak.
  std::string plan_str() const;
  // With options.profile: time per run by op (and conv format), most first,
  // over the runs since compiling or clear_profile().
  std::string profile_str() const;
  void clear_profile();

 private:
  struct Step;
  // Where a value lives during a run.
  enum class Home { kArena, kConstant, kInput, kState, kOutput };
  struct Slot {
    Home home = Home::kArena;
    int index = -1;  // input / state / output position
    Tensor tensor;   // arena view or constant; bound per run for the others
  };

  void advance(Phase from, Phase to);
  void infer(const Graph& g, const std::vector<TensorMeta>& input_metas);
  void prepare();
  void plan();
  Slot& slot(ValueId v) { return slots_[v]; }

  ExecutableOptions options_;
  Phase phase_ = Phase::kInfer;
  std::unique_ptr<Graph> graph_;  // the graph at this signature
  std::vector<TensorMeta> input_metas_, state_metas_, output_metas_;
  std::vector<Slot> slots_;  // per value
  std::vector<Step> steps_;
  std::vector<double> step_seconds_;  // with options.profile: summed over runs
  int profiled_runs_ = 0;
  BufferAssignment buffers_;
  MemoryPlan plan_;
  size_t naive_bytes_ = 0;
  int in_place_ = 0;
  std::shared_ptr<Storage> arena_;
  // Work after the last step, fixed at plan time.
  struct Copy {
    ValueId from;
    int output;  // graph output position written from `from`
  };
  std::vector<Copy> output_copies_;               // outputs not written by a kernel
  std::vector<std::pair<int, ValueId>> updates_;  // state position <- value
  std::vector<std::pair<int, Tensor>> staged_;    // state-to-state updates' staging views
};

}  // namespace graph
}  // namespace kiln
