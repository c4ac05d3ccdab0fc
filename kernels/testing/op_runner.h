// Runs one op's whole kernel lifecycle (complete attrs, infer, allocate,
// prepare, run) on one backend, with no graph, file or Python: the harness
// for kernel tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/op_def.h"

namespace kiln {
namespace testing {

std::vector<Tensor> run_op(const std::string& op, const std::vector<Tensor>& inputs,
                           const Attrs& attrs = {}, Backend backend = Backend::kCpu);

// Completes attrs and infers the outputs from input metas alone, allocating
// nothing: for shapes too large to allocate.
std::vector<TensorMeta> infer(const std::string& op, const std::vector<TensorMeta>& inputs,
                              const Attrs& attrs = {});

// Deterministic uniform values in [lo, hi) (float32) or integers (int32).
Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f,
                     DType dtype = DType::kFloat32);
Tensor from_values(const Shape& shape, const std::vector<float>& values);

// Max |a - b| / (atol + rtol * |b|) over elements; <= 1 means close.
// Shapes and dtypes must match (ADD_FAILURE otherwise via the return value -1).
double closeness(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-6);
bool all_close(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-6);

// Runs the op on both backends and expects equal outputs.
void expect_cpu_matches_reference(const std::string& op, const std::vector<Tensor>& inputs,
                                  const Attrs& attrs = {}, double rtol = 1e-5,
                                  double atol = 1e-6);

}  // namespace testing
}  // namespace kiln
