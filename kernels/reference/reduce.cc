// Reference kernels of the reduce family: for each output element, walk
// every reduced index in row-major order and accumulate in double (int64 for
// integers, wrapping to int32 at the end). The oracle for tests.
#include "kernels/ops/reduce.h"

#include <cmath>
#include <limits>

#include "kernels/reference/index_math.h"

namespace kiln {
namespace {

using reference::offset_of;

// Calls fn(value, k) for the k-th element reduced into output element `o`.
template <typename T, typename Fn>
void for_each_reduced(const Tensor& x, const ReduceAxes& axes, int64_t o, Fn&& fn) {
  const int rank = x.rank();
  int64_t idx[kMaxRank] = {};
  for (int d = rank - 1; d >= 0; --d) {  // the kept axes come from o
    if (axes.reduced[d]) continue;
    idx[d] = o % x.shape()[d];
    o /= x.shape()[d];
  }
  for (int64_t k = 0; k < axes.count; ++k) {
    int64_t rest = k;
    for (int d = rank - 1; d >= 0; --d) {  // the reduced axes come from k
      if (!axes.reduced[d]) continue;
      idx[d] = rest % x.shape()[d];
      rest /= x.shape()[d];
    }
    fn(x.data<T>()[offset_of(x, idx)], k);
  }
}

enum class Kind { kSum, kMean, kProd, kMax, kMin, kArgMax, kArgMin };

template <Kind K, typename T>
void reduce_typed(const ReduceAxes& axes, const Tensor& x, Tensor& y) {
  for (int64_t o = 0; o < y.numel(); ++o) {
    double sum = 0, prod = 1;
    uint64_t isum = 0, iprod = 1;  // integers wrap, as int32 does
    T best = T(0);
    int64_t best_k = -1;
    constexpr bool kInt = std::is_same_v<T, int32_t>;
    for_each_reduced<T>(x, axes, o, [&](T v, int64_t k) {
      if constexpr (kInt) {
        isum += uint64_t(int64_t(v));
        iprod *= uint64_t(int64_t(v));
      } else {
        sum += double(v);
        prod *= double(v);
      }
      const bool is_max = K == Kind::kMax || K == Kind::kArgMax;
      const bool better = is_max ? v > best : v < best;
      const bool best_nan = best_k >= 0 && best != best;
      if (best_k < 0 || (!best_nan && (better || v != v))) {
        best = v;
        best_k = k;
      }
    });
    if constexpr (K == Kind::kArgMax || K == Kind::kArgMin) {
      y.data<int32_t>()[o] = static_cast<int32_t>(best_k);
    } else {
      T* out = y.data<T>();
      switch (K) {
        case Kind::kSum:
          out[o] = kInt ? T(uint32_t(isum)) : T(sum);
          break;
        case Kind::kMean:
          out[o] = T(sum / double(axes.count));
          break;
        case Kind::kProd:
          out[o] = kInt ? T(uint32_t(iprod)) : T(prod);
          break;
        default:
          out[o] = best;
          break;
      }
    }
  }
}

template <Kind K>
void ref_reduce(const char* op, const Attrs& attrs, const Tensor* in, Tensor* out) {
  const ReduceAxes axes = reduce_axes(op, attrs, in[0].shape());
  if (in[0].dtype() == DType::kInt32)
    reduce_typed<K, int32_t>(axes, in[0], out[0]);
  else
    reduce_typed<K, float>(axes, in[0], out[0]);
}

#define KILN_REF_REDUCE(name, kind)                                    \
  void ref_##name(const Attrs& attrs, const Tensor* in, Tensor* out) { \
    ref_reduce<Kind::kind>(#name, attrs, in, out);                     \
  }
KILN_REF_REDUCE(sum, kSum)
KILN_REF_REDUCE(mean, kMean)
KILN_REF_REDUCE(prod, kProd)
KILN_REF_REDUCE(max, kMax)
KILN_REF_REDUCE(min, kMin)
KILN_REF_REDUCE(argmax, kArgMax)
KILN_REF_REDUCE(argmin, kArgMin)
#undef KILN_REF_REDUCE

}  // namespace

void register_reduce_reference(OpTable& t) {
  for (auto [name, fn] : {std::pair<const char*, KernelFn>{"sum", ref_sum},
                          {"mean", ref_mean},
                          {"prod", ref_prod},
                          {"max", ref_max},
                          {"min", ref_min},
                          {"argmax", ref_argmax},
                          {"argmin", ref_argmin}})
    t.set_kernel(name, Backend::kReference, stateless_kernel(fn));
}

}  // namespace kiln
