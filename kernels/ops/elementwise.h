// Registration of the elementwise family: unary, binary (numpy broadcasting),
// comparisons, logical ops, where, cast and fill.
#pragma once

#include "kernels/op_def.h"

namespace kiln {

void define_elementwise_ops(OpTable& table);
void register_elementwise_cpu(OpTable& table);
void register_elementwise_reference(OpTable& table);

}  // namespace kiln
