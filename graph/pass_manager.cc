#include "graph/pass_manager.h"

#include <algorithm>
#include <sstream>

#include "graph/passes/algebraic_simplification.h"
#include "graph/passes/bias_activation_fusion.h"
#include "graph/passes/channels_last_layout.h"
#include "graph/passes/common_subexpression_elimination.h"
#include "graph/passes/constant_folding.h"
#include "graph/passes/conv_batchnorm_folding.h"
#include "graph/passes/dead_code_elimination.h"
#include "graph/passes/dynamic_batch_reshape.h"
#include "graph/passes/residual_add_fusion.h"
#include "graph/passes/transpose_sinking.h"
#include "graph/rewrite.h"
#include "kernels/core/error.h"

namespace kiln {
namespace graph {

std::string PassReport::str() const {
  std::ostringstream os;
  os << "passes: " << nodes_before << " -> " << nodes_after << " nodes in " << rounds
     << (rounds == 1 ? " round" : " rounds") << (converged ? "" : " (not converged)") << "\n";
  for (const Run& r : runs)
    if (r.changed)
      os << "  round " << r.round << " " << r.pass << ": " << r.nodes_after << " nodes\n";
  return os.str();
}

PassManager::PassManager(PassOptions options) : options_(std::move(options)) {
  KILN_CHECK(options_.max_rounds >= 1, kValue, "pass manager: max_rounds is ", options_.max_rounds,
             "; expected >= 1");
}

PassManager& PassManager::add(std::unique_ptr<Pass> pass) {
  for (const auto& p : passes_)
    KILN_CHECK(std::string(p->name()) != pass->name(), kValue, "pass manager: pass '", pass->name(),
               "' is added twice");
  passes_.push_back(std::move(pass));
  return *this;
}

std::vector<std::string> PassManager::names() const {
  std::vector<std::string> out;
  for (const auto& p : passes_) out.push_back(p->name());
  return out;
}

PassReport PassManager::run(Graph& g) const {
  const std::vector<std::string> known = names();
  for (const std::string& d : options_.disabled) {
    if (std::find(known.begin(), known.end(), d) != known.end()) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    throw_error(ErrorKind::kValue, "cannot disable unknown pass '", d, "'; the passes are: ", list);
  }
  PassReport report;
  report.nodes_before = static_cast<int>(g.nodes().size());
  for (int round = 1; round <= options_.max_rounds && !report.converged; ++round) {
    bool changed = false;
    for (const auto& pass : passes_) {
      const std::string name = pass->name();
      if (std::find(options_.disabled.begin(), options_.disabled.end(), name) !=
          options_.disabled.end())
        continue;
      bool pass_changed = false;
      try {
        pass_changed = pass->run(g);
        if (options_.verify_each) verify(g);
      } catch (const Error& e) {
        throw_error(e.kind(), "pass '", name, "' (round ", round, ") failed: ", e.what());
      }
      changed |= pass_changed;
      report.runs.push_back({name, round, pass_changed, static_cast<int>(g.nodes().size())});
    }
    report.rounds = round;
    report.converged = !changed;
  }
  report.nodes_after = static_cast<int>(g.nodes().size());
  return report;
}

std::vector<std::unique_ptr<Pass>> inference_passes() {
  std::vector<std::unique_ptr<Pass>> p;
  p.push_back(std::make_unique<DynamicBatchReshape>());
  p.push_back(std::make_unique<DeadCodeElimination>());
  p.push_back(std::make_unique<ConstantFolding>());
  p.push_back(std::make_unique<CommonSubexpressionElimination>());
  p.push_back(std::make_unique<AlgebraicSimplification>());
  p.push_back(std::make_unique<ConvBatchNormFolding>());
  p.push_back(std::make_unique<BiasActivationFusion>());
  return p;
}

std::vector<std::unique_ptr<Pass>> training_passes() {
  std::vector<std::unique_ptr<Pass>> p;
  p.push_back(std::make_unique<DeadCodeElimination>());
  p.push_back(std::make_unique<ConstantFolding>());
  p.push_back(std::make_unique<CommonSubexpressionElimination>());
  p.push_back(std::make_unique<AlgebraicSimplification>());
  return p;
}

std::vector<std::unique_ptr<Pass>> cpu_lowering_passes() {
  std::vector<std::unique_ptr<Pass>> p;
  p.push_back(std::make_unique<ChannelsLastLayout>());
  p.push_back(std::make_unique<TransposeSinking>());
  p.push_back(std::make_unique<AlgebraicSimplification>());
  p.push_back(std::make_unique<ResidualAddFusion>());
  p.push_back(std::make_unique<BiasActivationFusion>());
  p.push_back(std::make_unique<DeadCodeElimination>());
  return p;
}

namespace {
PassReport optimize(Graph& g, std::vector<std::unique_ptr<Pass>> passes,
                    const PassOptions& options) {
  PassManager manager(options);
  for (auto& p : passes) manager.add(std::move(p));
  PassReport report = manager.run(g);
  g = compact(g);
  if (options.verify_each) verify(g);
  return report;
}
}  // namespace

PassReport optimize_for_inference(Graph& g, const PassOptions& options) {
  return optimize(g, inference_passes(), options);
}

PassReport optimize_for_training(Graph& g, const PassOptions& options) {
  return optimize(g, training_passes(), options);
}

PassReport lower_for_cpu(Graph& g, const PassOptions& options) {
  return optimize(g, cpu_lowering_passes(), options);
}

}  // namespace graph
}  // namespace kiln
