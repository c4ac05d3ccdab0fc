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

// Shape arithmetic on attribute-controlled sizes: a + b and a * b, or
// ValueError naming `op`, `what` (e.g. "the padded input size") and both operands
// when the result leaves int64, so that absurd attributes never overflow.
int64_t checked_add(const std::string& op, const char* what, int64_t a, int64_t b);
int64_t checked_mul(const std::string& op, const char* what, int64_t a, int64_t b);
// ValueError naming `op` unless each output's dims are >= 0 and their product,
// each counted as at least 1, fits in int64 (so no partial product overflows).
void check_output_shapes(const std::string& op, const std::vector<TensorMeta>& out);

}  // namespace kiln
