// CPU kernels of the source ops: every element is a function of its index
// alone (kernels/ops/source.h), so threads fill even-aligned chunks freely.
#include "kernels/ops/source.h"

#include <algorithm>

#include "kernels/cpu/loops.h"
#include "kernels/cpu/parallel.h"

namespace kiln {
namespace {

// Calls fill(begin, end) over [0, n) in even-aligned chunks, in parallel.
template <typename Fill>
void chunked(int64_t n, int64_t grain, Fill&& fill) {
  constexpr int64_t kChunk = 1 << 14;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  cpu::parallel_for(chunks, n >= grain,
               [&](int64_t c) { fill(c * kChunk, std::min(n, (c + 1) * kChunk)); });
}

void cpu_arange(const Attrs& a, const Tensor*, Tensor* out) {
  const double start = a.get_float("start"), step = a.get_float("step");
  dispatch_dtype(out[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, int32_t>) {
      T* y = out[0].data<T>();
      chunked(out[0].numel(), cpu::kParallelGrain,
              [&](int64_t b, int64_t e) { fill_arange<T>(y + b, b, e, start, step); });
    }
  });
}

// Random draws cost more than a copy: parallel from a smaller size.
constexpr int64_t kRandomGrain = cpu::kParallelGrain / 4;

void cpu_uniform_random(const Attrs& a, const Tensor* in, Tensor* out) {
  const uint64_t seed = random_stream_seed(a, in[0]);
  const float low = float(a.get_float("low")), high = float(a.get_float("high"));
  float* y = out[0].data<float>();
  chunked(out[0].numel(), kRandomGrain,
          [&](int64_t b, int64_t e) { fill_uniform(y + b, b, e, seed, low, high); });
}

void cpu_normal_random(const Attrs& a, const Tensor* in, Tensor* out) {
  const uint64_t seed = random_stream_seed(a, in[0]);
  const float mean = float(a.get_float("mean")), std = float(a.get_float("std"));
  float* y = out[0].data<float>();
  chunked(out[0].numel(), kRandomGrain,
          [&](int64_t b, int64_t e) { fill_normal(y + b, b, e, seed, mean, std); });
}

}  // namespace

void register_source_cpu(OpTable& t) {
  t.set_kernel("arange", Backend::kCpu, stateless_kernel(cpu_arange));
  t.set_kernel("uniform_random", Backend::kCpu, stateless_kernel(cpu_uniform_random));
  t.set_kernel("normal_random", Backend::kCpu, stateless_kernel(cpu_normal_random));
}

}  // namespace kiln
