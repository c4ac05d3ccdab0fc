// CPU kernels of the reduce family. prepare() makes a ReducePlan
// (kernels/cpu/reduce_plan.h): size-1 axes dropped, neighbouring axes of one
// kind merged, leaving groups such as [kept][reduced] (rows), [reduced][kept]
// (columns) or [reduced][kept][reduced] (NCHW channel sums). run() then
// takes one of two loops:
//  - rows (last group reduced): each output element reduces contiguous rows
//    of `row` elements, simd along the row; outputs are split across threads,
//    or, when there are few outputs, each output's rows are;
//  - columns (last group kept): each output row of `inner` elements
//    accumulates input rows elementwise (four per pass), simd across the
//    row; threads take output rows and pieces of them (about two per thread).
// Float sums accumulate simd blocks in double. run() never allocates.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/cpu/loops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/reduce_plan.h"
#include "kernels/ops/reduce.h"

namespace kiln {
namespace {

using cpu::kParallelGrain;
using Plan = cpu::ReducePlan;

int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

enum class Kind { kSum, kMean, kProd, kMax, kMin };

// Per op and element type: the accumulator of the rows loop and the
// elementwise step of the columns loop.
template <Kind K, typename T>
struct Op {
  static constexpr bool kAdd = K == Kind::kSum || K == Kind::kMean;
  static constexpr bool kFloat = std::is_same_v<T, float>;
  using Acc = std::conditional_t<K == Kind::kMax || K == Kind::kMin, T,
                                 std::conditional_t<kFloat, double, uint64_t>>;

  static T identity() {
    if constexpr (K == Kind::kMax) return std::numeric_limits<T>::lowest();
    if constexpr (K == Kind::kMin) return std::numeric_limits<T>::max();
    return T(K == Kind::kProd ? 1 : 0);
  }
  static bool picks(T v, T best) {  // max/min: v replaces best (nan wins)
    return (K == Kind::kMax ? v > best : v < best) || v != v;
  }
  static T step(T a, T b) {  // elementwise, integers wrap
    if constexpr (K == Kind::kMax || K == Kind::kMin)
      return picks(b, a) ? b : a;
    else if constexpr (!kFloat)
      return T(kAdd ? uint32_t(a) + uint32_t(b) : uint32_t(a) * uint32_t(b));
    else
      return kAdd ? a + b : a * b;
  }
  static Acc merge(Acc a, Acc b) {
    if constexpr (K == Kind::kMax || K == Kind::kMin)
      return step(a, b);
    else
      return kAdd ? a + b : a * b;
  }
  static Acc widen(T v) {
    if constexpr (kFloat)
      return double(v);
    else
      return uint64_t(int64_t(v));
  }
  // Reduces one contiguous row, simd.
  static Acc row(const T* p, int64_t n) {
    if constexpr (K == Kind::kMax || K == Kind::kMin) {
      T m = identity();
      int nan = 0;
      if constexpr (K == Kind::kMax) {
#pragma omp simd reduction(max : m) reduction(| : nan)
        for (int64_t i = 0; i < n; ++i) {
          m = p[i] > m ? p[i] : m;
          nan |= p[i] != p[i];
        }
      } else {
#pragma omp simd reduction(min : m) reduction(| : nan)
        for (int64_t i = 0; i < n; ++i) {
          m = p[i] < m ? p[i] : m;
          nan |= p[i] != p[i];
        }
      }
      return nan ? std::numeric_limits<T>::quiet_NaN() : m;
    } else if constexpr (kFloat && kAdd) {  // float blocks, added in double
      constexpr int64_t kBlock = 1024;
      double total = 0;
      for (int64_t b = 0; b < n; b += kBlock) {
        const int64_t e = std::min(n, b + kBlock);
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t i = b; i < e; ++i) s += p[i];
        total += s;
      }
      return total;
    } else if constexpr (kAdd) {
      Acc acc = 0;
#pragma omp simd reduction(+ : acc)
      for (int64_t i = 0; i < n; ++i) acc += widen(p[i]);
      return acc;
    } else {
      Acc acc = 1;
#pragma omp simd reduction(* : acc)
      for (int64_t i = 0; i < n; ++i) acc *= widen(p[i]);
      return acc;
    }
  }
  static T finish(Acc a, int64_t count) {
    if constexpr (K == Kind::kMean)
      return T(a / double(count));
    else if constexpr (kFloat || K == Kind::kMax || K == Kind::kMin)
      return T(a);
    else
      return T(uint32_t(a));
  }
};

template <Kind K, typename T>
void reduce_rows(const Plan& p, const T* x, T* y, int64_t outputs) {
  using O = Op<K, T>;
  auto one = [&](int64_t o) {
    typename O::Acc acc = O::identity();
    const T* base = x + p.outer_offset(o);
    p.for_each_combo(p.n_red, [&](int64_t off) { acc = O::merge(acc, O::row(base + off, p.row)); });
    y[o] = O::finish(acc, p.count);
  };
  const int64_t work = outputs * p.count;
  if (outputs >= 64 || work < kParallelGrain) {
    cpu::parallel_for(outputs, work >= kParallelGrain, [&](int64_t o) { one(o); });
    return;
  }
  // Few long reductions: split each one's rows into pieces across threads.
  constexpr int64_t kPiece = 8192;
  const int64_t pieces = (p.row + kPiece - 1) / kPiece, combos = p.combos();
  for (int64_t o = 0; o < outputs; ++o) {
    const T* base = x + p.outer_offset(o);
    typename O::Acc acc = O::identity();
#pragma omp parallel
    {
      typename O::Acc local = O::identity();
#pragma omp for schedule(static) nowait
      for (int64_t t = 0; t < combos * pieces; ++t) {
        int64_t off = 0;
        for (int64_t d = p.n_red - 1, c = t / pieces; d >= 0; c /= p.red_shape[d--])
          off += (c % p.red_shape[d]) * p.red_stride[d];
        const int64_t start = (t % pieces) * kPiece;
        local = O::merge(local, O::row(base + off + start, std::min(kPiece, p.row - start)));
      }
#pragma omp critical
      acc = O::merge(acc, local);
    }
    y[o] = O::finish(acc, p.count);
  }
}

template <Kind K, typename T>
void reduce_columns(const Plan& p, const T* x, T* y, int64_t out_rows) {
  using O = Op<K, T>;
  const int64_t inner = p.inner;
  // About two tasks per thread; few long pieces keep strided row reads cheap.
  const int64_t per_row = std::max<int64_t>(1, (2 * max_threads() + out_rows - 1) / out_rows);
  const int64_t piece = std::max<int64_t>(64, ((inner + per_row - 1) / per_row + 15) / 16 * 16);
  const int64_t pieces = (inner + piece - 1) / piece;
  // The last reduced group is walked here, four rows per pass over out.
  const int64_t rows = p.n_red ? p.red_shape[p.n_red - 1] : 1;
  const int64_t rs = p.n_red ? p.red_stride[p.n_red - 1] : 0;
  cpu::parallel_for(out_rows * pieces, out_rows * inner * p.count >= kParallelGrain, [&](int64_t t) {
    const int64_t o = t / pieces, start = (t % pieces) * piece, n = std::min(piece, inner - start);
    T* out = y + o * inner + start;
    const T* base = x + p.outer_offset(o) + start;
    const T init = O::identity();
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) out[j] = init;
    p.for_each_combo(std::max(p.n_red - 1, 0), [&](int64_t off) {
      const T* a = base + off;
      int64_t r = 0;
      for (; r + 4 <= rows; r += 4, a += 4 * rs) {
        const T *b = a + rs, *c = b + rs, *d = c + rs;
#pragma omp simd
        for (int64_t j = 0; j < n; ++j)
          out[j] = O::step(O::step(O::step(O::step(out[j], a[j]), b[j]), c[j]), d[j]);
      }
      for (; r < rows; ++r, a += rs) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) out[j] = O::step(out[j], a[j]);
      }
    });
    if constexpr (K == Kind::kMean) {
      for (int64_t j = 0; j < n; ++j) out[j] = T(out[j] / double(p.count));
    }
  });
}

template <Kind K>
class ReduceKernel final : public Kernel {
 public:
  ReduceKernel(const char* op, const KernelArgs& args)
      : plan_(cpu::make_reduce_plan(args.inputs[0].shape,
                                    reduce_axes(op, args.attrs, args.inputs[0].shape))) {}

  void run(const Tensor* in, Tensor* out) override {
    if (in[0].dtype() == DType::kInt32)
      run_typed<int32_t>(in[0], out[0]);
    else
      run_typed<float>(in[0], out[0]);
  }

 private:
  template <typename T>
  void run_typed(const Tensor& x, Tensor& y) {
    const int64_t n = y.numel();
    T* out = y.data<T>();
    if (n == 0) return;
    if (plan_.count == 0) {  // empty reduction: the identity (mean: 0 / 0 = nan)
      T v = Op<K, T>::identity();
      if constexpr (K == Kind::kMean && std::is_same_v<T, float>) v = NAN;
      std::fill(out, out + n, v);
      return;
    }
    if (plan_.columns)
      reduce_columns<K, T>(plan_, x.data<T>(), out, n / plan_.inner);
    else
      reduce_rows<K, T>(plan_, x.data<T>(), out, n);
  }
  Plan plan_;
};

template <Kind K>
KernelFactory reduce_kernel(const char* op) {
  return [op](const KernelArgs& args) { return std::make_unique<ReduceKernel<K>>(op, args); };
}

}  // namespace

void register_reduce_cpu(OpTable& t) {
  t.set_kernel("sum", Backend::kCpu, reduce_kernel<Kind::kSum>("sum"));
  t.set_kernel("mean", Backend::kCpu, reduce_kernel<Kind::kMean>("mean"));
  t.set_kernel("prod", Backend::kCpu, reduce_kernel<Kind::kProd>("prod"));
  t.set_kernel("max", Backend::kCpu, reduce_kernel<Kind::kMax>("max"));
  t.set_kernel("min", Backend::kCpu, reduce_kernel<Kind::kMin>("min"));
  register_arg_reduce_cpu(t);
}

}  // namespace kiln
