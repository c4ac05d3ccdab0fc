// The two-phase kernel contract (TFLite's prepare/eval, XNNPACK's
// create/reshape/run): a backend's factory prepares a Kernel once for given
// attributes and input/output metas (it checks shapes, builds oneDNN
// primitives, sizes scratch); run() then only does the math, into outputs the
// caller allocated, and never allocates or fails on shapes.
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/attrs.h"
#include "kernels/core/tensor.h"

namespace kiln {

enum class Backend { kCpu, kReference };
constexpr int kNumBackends = 2;
const char* backend_name(Backend backend);

class Kernel {
 public:
  virtual ~Kernel() = default;
  // inputs: contiguous unless the op accepts strided inputs; outputs:
  // contiguous tensors of the inferred metas.
  virtual void run(const Tensor* inputs, Tensor* outputs) = 0;
};

struct KernelArgs {
  const Attrs& attrs;
  const std::vector<TensorMeta>& inputs;
  const std::vector<TensorMeta>& outputs;
  // Bit i set: input i is the same unchanging tensor on every run of this
  // kernel (a graph constant), so work on it may be done once (weight
  // pre-packing). Eager kernels see 0.
  uint32_t constant_inputs = 0;
};

// A kernel with nothing to prepare: a plain function of attrs and tensors.
using KernelFn = void (*)(const Attrs& attrs, const Tensor* inputs, Tensor* outputs);

// Prepares kernels of one op on one backend. Stateless kernels also expose
// their function, so eager dispatch can call it without preparing or caching.
struct KernelFactory {
  std::function<std::unique_ptr<Kernel>(const KernelArgs&)> prepare;
  KernelFn direct = nullptr;

  KernelFactory() = default;
  template <typename F, typename = std::enable_if_t<
                            !std::is_same_v<std::decay_t<F>, KernelFactory>>>
  KernelFactory(F&& f) : prepare(std::forward<F>(f)) {}  // NOLINT: implicit on purpose
  explicit operator bool() const { return static_cast<bool>(prepare); }
  std::unique_ptr<Kernel> operator()(const KernelArgs& args) const { return prepare(args); }
};

KernelFactory stateless_kernel(KernelFn fn);

}  // namespace kiln
