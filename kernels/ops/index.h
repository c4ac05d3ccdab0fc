// The index family. Every index is an int32 tensor; indices are data, so
// kernels check their range in run() and throw IndexError naming the op, the
// offending value, its position and the valid range.
//   gather(x, index; axis: int, default 0) — torch.gather: index has x's
//     rank, index.shape[d] <= x.shape[d] for d != axis; out has index's shape,
//     out[i][j] = x[i][index[i][j]] (axis 1). Valid: 0 <= index < x.shape[axis].
//   scatter(x, index, src; axis: int, default 0) — out = x with
//     out[i][index[i][j]] = src[i][j] (axis 1) for every position of index;
//     index.shape[d] <= src.shape[d] for all d and <= x.shape[d] for d != axis.
//     Repeated targets: the last in row-major order of index wins.
//   scatter_add(x, index, src; axis) — as scatter but adds (float32/int32).
//   index_select(x, index; axis: int, default 0) — index is 1-D; out takes
//     x's slices index[k] along axis (x[idx] and embeddings). Valid: -n <=
//     index < n (negatives count from the end, as numpy).
//   index_add(base, index, src; axis: int, default 0) — out = base with
//     out[..., index[k], ...] += src[..., k, ...]; index 1-D, negatives as in
//     index_select, repeats accumulate in order (float32/int32).
//   one_hot(labels; num_classes: int) — float32 labels.shape + (num_classes,);
//     valid labels: 0 <= label < num_classes.
#pragma once

#include <string>

#include "kernels/op_def.h"

namespace kiln {

// The first position (row-major) of an int32 `index` whose value lies
// outside [lo, hi), or -1 when all are in range.
int64_t first_bad_index(const Tensor& index, int64_t lo, int64_t hi);
// The IndexError for that position; `context` says what is indexed.
[[noreturn]] void throw_bad_index(const std::string& op, const Tensor& index, int64_t at,
                                  int64_t lo, int64_t hi, const std::string& context);

void define_index_ops(OpTable& table);
void register_index_cpu(OpTable& table);
void register_index_reference(OpTable& table);

}  // namespace kiln
