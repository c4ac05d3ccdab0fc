// CPU kernels of argmax/argmin. The input is viewed as [outer, n, inner]
// around the reduced axis. inner == 1: each output scans one contiguous row.
// Otherwise threads take (outer, piece of inner) tasks and walk the n rows,
// keeping the best values of a piece in a stack buffer (run() never
// allocates); the inner loop is simd. Ties keep the first index; the first
// nan wins. (inner == 1 takes two simd passes per row: the extreme, then
// the first position holding it.)
#include <algorithm>

#include "kernels/cpu/loops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/ops/axis_util.h"
#include "kernels/ops/reduce.h"

namespace kiln {
namespace {

using cpu::kParallelGrain;

template <bool kMax>
class ArgReduceKernel final : public Kernel {
 public:
  ArgReduceKernel(const char* op, const KernelArgs& args) {
    const Shape& s = args.inputs[0].shape;
    const int axis = checked_axis(op, args.attrs.get_int("axis"), s);
    for (int d = 0; d < s.rank(); ++d) (d < axis ? outer_ : d > axis ? inner_ : n_) *= s[d];
  }

  void run(const Tensor* in, Tensor* out) override {
    if (in[0].dtype() == DType::kInt32)
      run_typed<int32_t>(in[0].data<int32_t>(), out[0].data<int32_t>());
    else
      run_typed<float>(in[0].data<float>(), out[0].data<int32_t>());
  }

 private:
  template <typename T>
  static bool better(T v, T best) {
    return (kMax ? v > best : v < best) || (v != v && best == best);
  }

  template <typename T>
  void run_typed(const T* x, int32_t* y) const {
    if (outer_ * inner_ == 0) return;  // infer rejects n == 0 with a non-empty output
    const bool parallel = outer_ * n_ * inner_ >= kParallelGrain;
    if (inner_ == 1) {  // two simd passes per row: the extreme value, then its first index
      cpu::parallel_for(outer_, parallel, [&](int64_t o) {
        const T* row = x + o * n_;
        T m = row[0];
        int nan = 0;
        if constexpr (kMax) {
#pragma omp simd reduction(max : m) reduction(| : nan)
          for (int64_t k = 0; k < n_; ++k) {
            m = row[k] > m ? row[k] : m;
            nan |= row[k] != row[k];
          }
        } else {
#pragma omp simd reduction(min : m) reduction(| : nan)
          for (int64_t k = 0; k < n_; ++k) {
            m = row[k] < m ? row[k] : m;
            nan |= row[k] != row[k];
          }
        }
        int64_t k = 0;
        if (nan) {
          while (row[k] == row[k]) ++k;
        } else {  // skip 16-element blocks without m, then scan
          for (; k + 16 <= n_; k += 16) {
            int hit = 0;
#pragma omp simd reduction(| : hit)
            for (int64_t j = 0; j < 16; ++j) hit |= row[k + j] == m;
            if (hit) break;
          }
          while (row[k] != m) ++k;
        }
        y[o] = static_cast<int32_t>(k);
      });
      return;
    }
    constexpr int64_t kPiece = 256;
    const int64_t pieces = (inner_ + kPiece - 1) / kPiece;
    cpu::parallel_for(outer_ * pieces, parallel, [&](int64_t t) {
      const int64_t o = t / pieces, start = (t % pieces) * kPiece;
      const int64_t len = std::min(kPiece, inner_ - start);
      const T* base = x + o * n_ * inner_ + start;
      T best[kPiece];
      int32_t index[kPiece];
      for (int64_t j = 0; j < len; ++j) {
        best[j] = base[j];
        index[j] = 0;
      }
      for (int64_t k = 1; k < n_; ++k) {
        const T* row = base + k * inner_;
#pragma omp simd
        for (int64_t j = 0; j < len; ++j) {
          const bool b = better(row[j], best[j]);
          best[j] = b ? row[j] : best[j];
          index[j] = b ? static_cast<int32_t>(k) : index[j];
        }
      }
      std::copy(index, index + len, y + o * inner_ + start);
    });
  }

  int64_t outer_ = 1, n_ = 1, inner_ = 1;
};

template <bool kMax>
KernelFactory arg_kernel(const char* op) {
  return [op](const KernelArgs& a) { return std::make_unique<ArgReduceKernel<kMax>>(op, a); };
}

}  // namespace

void register_arg_reduce_cpu(OpTable& t) {
  t.set_kernel("argmax", Backend::kCpu, arg_kernel<true>("argmax"));
  t.set_kernel("argmin", Backend::kCpu, arg_kernel<false>("argmin"));
}

}  // namespace kiln
