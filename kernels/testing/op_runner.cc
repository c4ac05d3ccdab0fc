#include "kernels/testing/op_runner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace kiln {
namespace testing {

std::vector<Tensor> run_op(const std::string& op, const std::vector<Tensor>& inputs,
                           const Attrs& attrs, Backend backend) {
  const OpDef& def = get_op(op);
  const Attrs full = def.complete_attrs(attrs);
  std::vector<TensorMeta> in_metas;
  std::vector<Tensor> packed;
  for (const Tensor& t : inputs) {
    in_metas.push_back(t.meta());
    packed.push_back(def.accepts_strided_inputs ? t : t.contiguous());
  }
  const std::vector<TensorMeta> out_metas = def.infer_outputs(full, in_metas);
  std::vector<Tensor> outputs;
  for (const TensorMeta& m : out_metas) outputs.push_back(Tensor::empty(m));
  auto kernel = def.prepare(backend, full, in_metas, out_metas);
  kernel->run(packed.data(), outputs.data());
  return outputs;
}

std::vector<TensorMeta> infer(const std::string& op, const std::vector<TensorMeta>& inputs,
                              const Attrs& attrs) {
  const OpDef& def = get_op(op);
  return def.infer_outputs(def.complete_attrs(attrs), inputs);
}

Tensor random_tensor(const Shape& shape, uint64_t seed, float lo, float hi, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float v = dist(rng);
    if (dtype == DType::kFloat32)
      t.data<float>()[i] = v;
    else if (dtype == DType::kInt32)
      t.data<int32_t>()[i] = static_cast<int32_t>(std::floor(v));
    else if (dtype == DType::kBool)
      t.data<bool>()[i] = v > (lo + hi) / 2;
  }
  return t;
}

Tensor from_values(const Shape& shape, const std::vector<float>& values) {
  Tensor t = Tensor::empty(shape, DType::kFloat32);
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = values[i];
  return t;
}

namespace {
double as_double(const Tensor& t, int64_t i) {
  return dispatch_dtype(t.dtype(), [&](auto tag) -> double {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, Half>) {
      return static_cast<float>(t.data<T>()[i]);
    } else {
      return static_cast<double>(t.data<T>()[i]);
    }
  });
}
}  // namespace

double closeness(const Tensor& a_in, const Tensor& b_in, double rtol, double atol) {
  if (a_in.shape() != b_in.shape() || a_in.dtype() != b_in.dtype()) return -1;
  const Tensor a = a_in.contiguous(), b = b_in.contiguous();
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = as_double(a, i), y = as_double(b, i);
    if (std::isnan(x) && std::isnan(y)) continue;
    if (std::isinf(x) && x == y) continue;
    const double r = std::abs(x - y) / (atol + rtol * std::abs(y));
    if (!(r <= worst)) worst = std::isnan(r) ? INFINITY : r;
  }
  return worst;
}

bool all_close(const Tensor& a, const Tensor& b, double rtol, double atol) {
  const double c = closeness(a, b, rtol, atol);
  return c >= 0 && c <= 1;
}

Tensor to_nhwc(const Tensor& nchw) { return nchw.permute({0, 2, 3, 1}).contiguous(); }
Tensor to_nchw(const Tensor& nhwc) { return nhwc.permute({0, 3, 1, 2}).contiguous(); }

void expect_cpu_matches_reference(const std::string& op, const std::vector<Tensor>& inputs,
                                  const Attrs& attrs, double rtol, double atol) {
  const auto cpu = run_op(op, inputs, attrs, Backend::kCpu);
  const auto ref = run_op(op, inputs, attrs, Backend::kReference);
  ASSERT_EQ(cpu.size(), ref.size());
  for (size_t i = 0; i < cpu.size(); ++i) {
    EXPECT_EQ(cpu[i].meta(), ref[i].meta()) << op << " output " << i;
    EXPECT_TRUE(all_close(cpu[i], ref[i], rtol, atol))
        << op << " output " << i << ": cpu differs from reference (closeness "
        << closeness(cpu[i], ref[i], rtol, atol) << ") with attrs {" << attrs.str() << "}";
  }
}

void expect_op_error(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs,
                     ErrorKind kind, std::initializer_list<const char*> needles) {
  try {
    run_op(op, inputs, attrs);
    ADD_FAILURE() << op << " accepted bad inputs";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    const std::string msg = e.what();
    EXPECT_NE(msg.find(op), std::string::npos) << msg;
    for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
}

}  // namespace testing
}  // namespace kiln
