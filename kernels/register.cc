// The one place that fills the op table: op definitions first, then each
// backend's kernels. Adding an op family means adding its lines here.
#include "kernels/core/error.h"
#include "kernels/op_def.h"
#include "kernels/ops/elementwise.h"
#include "kernels/ops/index.h"
#include "kernels/ops/movement.h"
#include "kernels/ops/reduce.h"
#include "kernels/ops/source.h"
#include "kernels/ops/matmul.h"
#include "kernels/ops/conv2d.h"
#include "kernels/ops/pool2d.h"
#include "kernels/ops/batch_norm.h"
#include "kernels/ops/layer_norm.h"
#include "kernels/ops/softmax.h"

namespace kiln {
namespace {

// Every op needs inference and a kernel on every backend: a gap is a build
// mistake, reported once at start-up with every missing name.
void check_complete(const OpTable& table) {
  for (Backend backend : {Backend::kCpu, Backend::kReference}) {
    const std::vector<std::string> missing = table.missing(backend);
    if (missing.empty()) continue;
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    throw_error(ErrorKind::kRuntime, "op table incomplete: no infer rule or ", backend_name(backend),
                " kernel for ", names);
  }
}

OpTable* build_op_table() {
  auto* table = new OpTable();
  define_elementwise_ops(*table);
  define_reduce_ops(*table);
  define_movement_ops(*table);
  define_index_ops(*table);
  define_source_ops(*table);
  define_matmul_op(*table);
  define_conv2d_ops(*table);
  define_pool2d_ops(*table);
  define_batch_norm_ops(*table);
  define_layer_norm_ops(*table);
  define_softmax_ops(*table);

  register_elementwise_cpu(*table);
  register_reduce_cpu(*table);
  register_movement_cpu(*table);
  register_index_cpu(*table);
  register_source_cpu(*table);
  register_matmul_cpu(*table);
  register_conv2d_cpu(*table);
  register_pool2d_cpu(*table);
  register_batch_norm_cpu(*table);
  register_layer_norm_cpu(*table);
  register_softmax_cpu(*table);

  register_elementwise_reference(*table);
  register_reduce_reference(*table);
  register_movement_reference(*table);
  register_index_reference(*table);
  register_source_reference(*table);
  register_matmul_reference(*table);
  register_conv2d_reference(*table);
  register_pool2d_reference(*table);
  register_batch_norm_reference(*table);
  register_layer_norm_reference(*table);
  register_softmax_reference(*table);
  check_complete(*table);
  return table;
}

}  // namespace

const OpTable& op_table() {
  static const OpTable* table = build_op_table();
  return *table;
}

}  // namespace kiln
