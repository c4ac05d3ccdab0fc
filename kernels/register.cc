// The one place that fills the op table: op definitions first, then each
// backend's kernels. Adding an op family means adding its lines here.
#include "kernels/op_def.h"
#include "kernels/ops/elementwise.h"

namespace kiln {
namespace {

OpTable* build_op_table() {
  auto* table = new OpTable();
  define_elementwise_ops(*table);

  register_elementwise_cpu(*table);

  register_elementwise_reference(*table);
  return table;
}

}  // namespace

const OpTable& op_table() {
  static const OpTable* table = build_op_table();
  return *table;
}

}  // namespace kiln
