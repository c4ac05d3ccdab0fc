// Runs one op's whole kernel lifecycle (complete attrs, infer, allocate,
// prepare, run) on one backend, with no graph, file or Python: the harness
// for kernel tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "kernels/core/error.h"
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

// A 4-d NCHW tensor packed as NHWC, and back (the spatial ops' two formats).
Tensor to_nhwc(const Tensor& nchw);
Tensor to_nchw(const Tensor& nhwc);

// Runs the op on both backends and expects equal outputs.
void expect_cpu_matches_reference(const std::string& op, const std::vector<Tensor>& inputs,
                                  const Attrs& attrs = {}, double rtol = 1e-5, double atol = 1e-6);

// Expects run_op(op, inputs, attrs) to throw kiln::Error of `kind` whose
// message names the op and contains every one of `needles`.
void expect_op_error(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs,
                     ErrorKind kind, std::initializer_list<const char*> needles);

// Expects fn() to throw kiln::Error of `kind` whose message contains every
// one of `needles`.
template <typename Fn>
void expect_error(ErrorKind kind, Fn&& fn, std::initializer_list<const char*> needles) {
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    for (const char* n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

}  // namespace testing
}  // namespace kiln
