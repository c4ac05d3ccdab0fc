// Shared checks for output inference. Each throws with the op's name, the
// offending input and what was expected.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "kernels/core/tensor.h"
#include "kernels/op_def.h"

namespace kiln {

void check_dtype(const OpDef& op, const std::vector<TensorMeta>& in, int i,
                 std::initializer_list<DType> allowed);
void check_same_dtype(const OpDef& op, const std::vector<TensorMeta>& in);
void check_rank(const OpDef& op, const std::vector<TensorMeta>& in, int i, int rank);
DType dtype_attr(const OpDef& op, const Attrs& attrs, const char* name = "dtype");
// "x: float32(2, 3), w: float32(4,)" for error messages.
std::string describe_inputs(const std::vector<TensorMeta>& in);

}  // namespace kiln
