#include "graph/executor.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <sstream>

#include "graph/shape_inference.h"
#include "kernels/core/error.h"
#include "kernels/op_def.h"

namespace kiln {
namespace graph {

// One node: its prepared kernel and argument arrays. Arguments held by the
// arena or constants are fixed at compile time; `bound` lists the positions
// (input or output side, position, value) refreshed from the caller's tensors
// at the start of each run.
struct Executable::Step {
  int node = -1;
  std::unique_ptr<Kernel> kernel;
  std::vector<Tensor> in, out;
  struct Bound {
    bool is_output;
    int position;
    ValueId value;
  };
  std::vector<Bound> bound;
};

const char* Executable::phase_name(Phase phase) {
  switch (phase) {
    case Phase::kInfer:
      return "infer";
    case Phase::kPrepare:
      return "prepare";
    case Phase::kPlan:
      return "plan";
    case Phase::kReady:
      return "ready";
  }
  return "?";
}

Executable::Executable(const Graph& g, const std::vector<TensorMeta>& input_metas,
                       const ExecutableOptions& options)
    : options_(options) {
  infer(g, input_metas);
  prepare();
  plan();
}

Executable::~Executable() = default;

int Executable::num_steps() const { return static_cast<int>(steps_.size()); }

void Executable::advance(Phase from, Phase to) {
  KILN_CHECK(phase_ == from, kRuntime, "executable: phase '", phase_name(to), "' needs phase '",
             phase_name(from), "' first; it is in phase '", phase_name(phase_), "'");
  phase_ = to;
}

void Executable::infer(const Graph& g, const std::vector<TensorMeta>& input_metas) {
  KILN_CHECK(phase_ == Phase::kInfer, kRuntime, "executable: infer runs once, first");
  graph_ = std::make_unique<Graph>(infer_shapes(g, input_metas));
  const Graph& graph = *graph_;
  input_metas_ = input_metas;
  for (ValueId s : graph.states()) state_metas_.push_back(graph.value(s).meta);
  for (const NamedValue& o : graph.outputs()) output_metas_.push_back(graph.value(o.value).meta);
  slots_.resize(graph.num_values());
  for (size_t i = 0; i < graph.inputs().size(); ++i)
    slots_[graph.inputs()[i]] = {Home::kInput, static_cast<int>(i), {}};
  for (size_t i = 0; i < graph.states().size(); ++i)
    slots_[graph.states()[i]] = {Home::kState, static_cast<int>(i), {}};
  for (const auto& [id, t] : graph.tensors())
    if (graph.value(id).kind == ValueKind::kConstant)
      slots_[id] = {Home::kConstant, -1, t.is_contiguous() ? t : t.contiguous()};
  // A kernel writes an intermediate output straight into the first output
  // tensor naming it; every other output is copied after the last step.
  for (size_t k = 0; k < graph.outputs().size(); ++k) {
    const ValueId v = graph.outputs()[k].value;
    Slot& s = slots_[v];
    if (graph.value(v).kind == ValueKind::kIntermediate && s.home == Home::kArena && s.index < 0)
      s = {Home::kOutput, static_cast<int>(k), {}};
    else
      output_copies_.push_back({v, static_cast<int>(k)});
  }
  advance(Phase::kInfer, Phase::kPrepare);
}

void Executable::prepare() {
  KILN_CHECK(phase_ == Phase::kPrepare, kRuntime, "executable: prepare needs phase 'prepare'");
  const Graph& g = *graph_;
  steps_.resize(g.nodes().size());
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    std::vector<TensorMeta> in, out;
    uint32_t constants = 0;  // inputs a kernel may pre-pack once
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const Value& v = g.value(node.inputs[i]);
      in.push_back(v.meta);
      if (v.kind == ValueKind::kConstant && i < 32) constants |= 1u << i;
    }
    for (ValueId v : node.outputs) out.push_back(g.value(v).meta);
    Step& step = steps_[n];
    step.node = static_cast<int>(n);
    try {
      step.kernel = node.op.def->prepare(options_.backend, node.op.attrs, in, out, constants);
    } catch (const Error& e) {
      throw_error(e.kind(), "node ", n, " (", node.op.name(), "): ", e.what());
    }
    step.in.resize(in.size());
    step.out.resize(out.size());
  }
  step_seconds_.assign(steps_.size(), 0.0);
  advance(Phase::kPrepare, Phase::kPlan);
}

void Executable::plan() {
  KILN_CHECK(phase_ == Phase::kPlan, kRuntime, "executable: plan needs phase 'plan'");
  const Graph& g = *graph_;
  buffers_ = assign_buffers(g, options_.in_place);
  in_place_ = buffers_.in_place;
  std::vector<BufferRequest> requests = buffers_.buffers;
  // State <- other state updates read every old value before any is written:
  // each old value is staged in the arena at the end of the run.
  const int end = static_cast<int>(g.nodes().size());
  std::vector<std::pair<int, ValueId>> to_stage;
  for (size_t i = 0; i < g.states().size(); ++i) {
    const ValueId s = g.states()[i];
    auto it = g.state_updates().find(s);
    if (it == g.state_updates().end() || it->second == s) continue;
    updates_.push_back({static_cast<int>(i), it->second});
    if (g.value(it->second).kind == ValueKind::kState) {
      to_stage.push_back({static_cast<int>(i), it->second});
      const TensorMeta& m = g.value(s).meta;
      requests.push_back({static_cast<size_t>(m.shape.numel()) * dtype_size(m.dtype), end, end});
    }
  }
  plan_ = plan_memory(requests);
  check_plan(requests, plan_);
  // Without any sharing: one buffer per arena value (and staging copy).
  naive_bytes_ = naive_bytes(
      std::vector<BufferRequest>(requests.begin() + buffers_.buffers.size(), requests.end()));
  for (ValueId v = 0; v < g.num_values(); ++v)
    if (buffers_.buffer_of[v] >= 0)
      naive_bytes_ += naive_bytes(
          {{static_cast<size_t>(g.value(v).meta.shape.numel()) * dtype_size(g.value(v).meta.dtype),
            0, 0}});
  arena_ = Storage::allocate(std::max(plan_.peak_bytes, kArenaAlignment));
  const auto view = [&](const TensorMeta& m, size_t offset) {
    return Tensor(arena_, m.dtype, m.shape, contiguous_strides(m.shape),
                  static_cast<int64_t>(offset / dtype_size(m.dtype)));
  };
  for (ValueId v = 0; v < g.num_values(); ++v) {
    const int b = buffers_.buffer_of[v];
    if (b >= 0) slots_[v].tensor = view(g.value(v).meta, plan_.offsets[b]);
  }
  for (size_t i = 0; i < to_stage.size(); ++i) {
    const size_t offset = plan_.offsets[buffers_.buffers.size() + i];
    staged_.push_back({to_stage[i].first, view(g.value(to_stage[i].second).meta, offset)});
  }
  // Fixed arguments now; bound ones (inputs, states, outputs) per run.
  for (Step& step : steps_) {
    const Node& node = g.nodes()[step.node];
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const Slot& s = slots_[node.inputs[i]];
      if (s.home == Home::kArena || s.home == Home::kConstant)
        step.in[i] = s.tensor;
      else
        step.bound.push_back({false, static_cast<int>(i), node.inputs[i]});
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      const Slot& s = slots_[node.outputs[i]];
      if (s.home == Home::kArena)
        step.out[i] = s.tensor;
      else
        step.bound.push_back({true, static_cast<int>(i), node.outputs[i]});
    }
  }
  advance(Phase::kPlan, Phase::kReady);
}

namespace {

void check_args(const char* what, const std::vector<Tensor>& given,
                const std::vector<TensorMeta>& want) {
  KILN_CHECK(given.size() == want.size(), kValue, "executable: got ", given.size(), " ", what,
             "s; expected ", want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    KILN_CHECK(given[i].defined() && given[i].meta() == want[i], kValue, "executable: ", what, " ",
               i, " is ", given[i].defined() ? given[i].meta().str() : std::string("undefined"),
               "; it was compiled for ", want[i].str());
    KILN_CHECK(given[i].is_contiguous(), kValue, "executable: ", what, " ", i,
               " is not contiguous; pass a packed tensor");
  }
}

void copy_bytes(const Tensor& from, const Tensor& to) {
  if (to.nbytes() > 0) std::memcpy(to.raw_data(), from.raw_data(), to.nbytes());
}

}  // namespace

void Executable::run(const std::vector<Tensor>& inputs, const std::vector<Tensor>& states,
                     const std::vector<Tensor>& outputs) {
  KILN_CHECK(phase_ == Phase::kReady, kRuntime, "executable: run needs phase 'ready'; it is in '",
             phase_name(phase_), "'");
  check_args("input", inputs, input_metas_);
  check_args("state", states, state_metas_);
  check_args("output", outputs, output_metas_);
  const auto bound = [&](ValueId v) -> const Tensor& {
    const Slot& s = slots_[v];
    switch (s.home) {
      case Home::kInput:
        return inputs[s.index];
      case Home::kState:
        return states[s.index];
      case Home::kOutput:
        return outputs[s.index];
      default:
        return s.tensor;
    }
  };
  size_t n = 0;
  try {
    for (; n < steps_.size(); ++n) {
      Step& step = steps_[n];
      for (const Step::Bound& b : step.bound)
        (b.is_output ? step.out : step.in)[b.position] = bound(b.value);
      if (!options_.profile) {
        step.kernel->run(step.in.data(), step.out.data());
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      step.kernel->run(step.in.data(), step.out.data());
      step_seconds_[n] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  } catch (const Error& e) {
    throw_error(e.kind(), "node ", n, " (", graph_->nodes()[n].op.name(), "): ", e.what());
  }
  profiled_runs_ += options_.profile;
  for (const Copy& c : output_copies_) copy_bytes(bound(c.from), outputs[c.output]);
  for (const auto& [state, staging] : staged_) {
    const ValueId from = graph_->state_updates().at(graph_->states()[state]);
    copy_bytes(bound(from), staging);
  }
  size_t staged = 0;
  for (const auto& [state, from] : updates_) {
    const bool is_staged = staged < staged_.size() && staged_[staged].first == state;
    copy_bytes(is_staged ? staged_[staged++].second : bound(from), states[state]);
  }
}

std::vector<Tensor> Executable::allocate_outputs() const {
  std::vector<Tensor> out;
  for (const TensorMeta& m : output_metas_) out.push_back(Tensor::empty(m));
  return out;
}

std::string Executable::plan_str() const {
  const Graph& g = *graph_;
  std::ostringstream os;
  const auto where = [&](ValueId v) -> std::string {
    const Slot& s = slots_[v];
    switch (s.home) {
      case Home::kArena:
        return str_cat("arena+", plan_.offsets[buffers_.buffer_of[v]]);
      case Home::kConstant:
        return "const";
      case Home::kInput:
        return str_cat("input ", s.index);
      case Home::kState:
        return str_cat("state ", s.index);
      case Home::kOutput:
        return str_cat("output ", s.index);
    }
    return "?";
  };
  for (const Step& step : steps_) {
    const Node& node = g.nodes()[step.node];
    os << step.node << " " << node.op.name() << " ->";
    for (ValueId v : node.outputs)
      os << " %" << v << " " << g.value(v).meta.str() << " @" << where(v);
    os << "\n";
  }
  os << "arena " << plan_.peak_bytes << " bytes (" << naive_bytes_ << " without sharing, "
     << in_place_ << " in place)\n";
  return os.str();
}

void Executable::clear_profile() {
  step_seconds_.assign(steps_.size(), 0.0);
  profiled_runs_ = 0;
}

std::string Executable::profile_str() const {
  if (profiled_runs_ == 0) return "no profiled runs (compile with ExecutableOptions::profile)\n";
  struct Total {
    double seconds = 0;
    int steps = 0;
  };
  std::map<std::string, Total> by_op;
  double all = 0;
  for (const Step& step : steps_) {
    const OpCall& op = graph_->nodes()[step.node].op;
    const bool has_format = op.attrs.has("format");
    Total& t =
        by_op[has_format ? str_cat(op.name(), " ", op.attrs.get_string("format")) : op.name()];
    t.seconds += step_seconds_[step.node];
    t.steps += 1;
    all += step_seconds_[step.node];
  }
  std::vector<std::pair<std::string, Total>> rows(by_op.begin(), by_op.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  std::ostringstream os;
  os << "time per run by op over " << profiled_runs_ << " runs (ms, steps, share)\n";
  char line[160];
  for (const auto& [name, t] : rows) {
    std::snprintf(line, sizeof(line), "  %-28s %9.3f  %4d  %5.1f%%\n", name.c_str(),
                  t.seconds * 1e3 / profiled_runs_, t.steps, all > 0 ? 100 * t.seconds / all : 0.0);
    os << line;
  }
  std::snprintf(line, sizeof(line), "  %-28s %9.3f  %4d\n", "all kernels",
                all * 1e3 / profiled_runs_, static_cast<int>(steps_.size()));
  os << line;
  return os.str();
}

}  // namespace graph
}  // namespace kiln
