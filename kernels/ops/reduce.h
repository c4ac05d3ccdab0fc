// The reduce family.
//   sum, mean, max, min, prod: attrs axes (ints, default [] = every axis),
//     keepdims (bool, default false); float32 and int32 (mean: float32 only),
//     output dtype = input dtype. Reducing zero elements gives sum 0, prod 1,
//     mean nan; max and min of an empty axis (with a non-empty output) raise
//     ValueError at inference. int32 sum and prod wrap modulo 2^32. max and min
//     propagate nan.
//   argmax, argmin: attrs axis (int, required), keepdims (bool, default
//     false); float32 or int32 input, int32 output: the first index of the
//     extreme value (the first nan if any). An empty axis raises ValueError.
#pragma once

#include <string>

#include "kernels/op_def.h"

namespace kiln {

// Which axes of an input of `shape` the op reduces: "axis" when attrs have it
// (argmax/argmin), else "axes" ([] = all). Throws IndexError/ValueError.
struct ReduceAxes {
  bool reduced[kMaxRank] = {};
  int64_t count = 1;  // elements reduced into each output element
};
ReduceAxes reduce_axes(const std::string& op, const Attrs& attrs, const Shape& shape);
// The input shape with reduced axes dropped (or kept as size 1).
Shape reduced_shape(const Shape& shape, const ReduceAxes& axes, bool keepdims);

void define_reduce_ops(OpTable& table);
void register_reduce_cpu(OpTable& table);      // calls register_arg_reduce_cpu
void register_arg_reduce_cpu(OpTable& table);  // kernels/cpu/arg_reduce.cc
void register_reduce_reference(OpTable& table);

}  // namespace kiln
