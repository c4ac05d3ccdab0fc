// CPU kernels of the index family. prepare() views the index space around
// the axis as [outer, n, inner] and records how each tensor is addressed by
// it (flat when its dims after the axis equal the index's). run() first
// checks the index values (IndexError; one simd pass), then:
//  - gather / index_select / one_hot: threads take output rows;
//  - scatter / scatter_add / index_add: threads take (outer, piece of inner)
//    tasks and walk k = 0..n-1 in order, so repeated targets resolve exactly
//    as in the serial reference (last write wins, sums in index order)
//    whatever the thread count.
// Copies move elements by size, so gather, scatter and index_select take any
// dtype. run() never allocates (strings are built only to throw).
#include "kernels/ops/index.h"

#include <algorithm>
#include <type_traits>

#include "kernels/core/error.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/index_space.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/ops/axis_util.h"

namespace kiln {
namespace {

using cpu::Addr;
using cpu::kParallelGrain;
using cpu::Space;

template <typename Fn>
void by_size(DType dtype, Fn&& fn) {
  switch (dtype_size(dtype)) {
    case 1:
      return fn(uint8_t{});
    case 2:
      return fn(uint16_t{});
    default:
      return fn(uint32_t{});
  }
}
template <typename Fn>
void by_numeric(DType dtype, Fn&& fn) {
  if (dtype == DType::kInt32)
    fn(int32_t{});
  else
    fn(float{});
}
template <typename T>
T add(T a, T b) {  // int32 wraps, as the reference does
  if constexpr (std::is_integral_v<T>)
    return T(uint32_t(a) + uint32_t(b));
  else
    return a + b;
}

void check(const char* op, const Tensor& index, int64_t lo, int64_t hi, int axis, const Tensor& x) {
  const int64_t at = first_bad_index(index, lo, hi);
  if (at >= 0)
    throw_bad_index(op, index, at, lo, hi,
                    str_cat("axis ", axis, " of an input of shape ", x.shape().str()));
}

class GatherKernel final : public Kernel {
 public:
  explicit GatherKernel(const KernelArgs& a)
      : s_(a.inputs[1].shape, checked_axis("gather", a.attrs.get_int("axis"), a.inputs[0].shape)),
        x_(s_, a.inputs[0].shape) {}
  void run(const Tensor* in, Tensor* out) override {
    check("gather", in[1], 0, x_.axis_size, s_.axis, in[0]);
    by_size(in[0].dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* x = static_cast<const T*>(in[0].raw_data());
      const int32_t* idx = in[1].data<int32_t>();
      T* y = static_cast<T*>(out[0].raw_data());
      const int64_t inner = s_.inner;
      cpu::parallel_for(s_.outer * s_.n, s_.outer * s_.n * inner >= kParallelGrain, [&](int64_t r) {
        const int64_t o = r / s_.n;
        const T* xb = x + x_.outer_offset(s_, o);
        const int32_t* id = idx + r * inner;
        T* yr = y + r * inner;
        if (x_.flat) {
          for (int64_t j = 0; j < inner; ++j) yr[j] = xb[id[j] * x_.axis_stride + j];
        } else {
          for (int64_t j = 0; j < inner; ++j)
            yr[j] = xb[id[j] * x_.axis_stride + x_.inner_offset(s_, j)];
        }
      });
    });
  }

 private:
  Space s_;
  Addr x_;
};

template <bool kAdd>
class ScatterKernel final : public Kernel {
 public:
  explicit ScatterKernel(const KernelArgs& a)
      : s_(a.inputs[1].shape, checked_axis(name(), a.attrs.get_int("axis"), a.inputs[0].shape)),
        out_(s_, a.inputs[0].shape),
        src_(s_, a.inputs[2].shape) {}
  static const char* name() { return kAdd ? "scatter_add" : "scatter"; }
  void run(const Tensor* in, Tensor* out) override {
    check(name(), in[1], 0, out_.axis_size, s_.axis, in[0]);
    cpu::strided_copy(in[0], out[0]);
    auto body = [&](auto tag) {
      using T = decltype(tag);
      T* y = static_cast<T*>(out[0].raw_data());
      const T* src = static_cast<const T*>(in[2].raw_data());
      const int32_t* idx = in[1].data<int32_t>();
      const int64_t inner = s_.inner, piece = s_.piece(), pieces = (inner + piece - 1) / piece;
      cpu::parallel_for(s_.outer * pieces, s_.outer * s_.n * inner >= kParallelGrain, [&](int64_t t) {
        const int64_t o = t / pieces, j0 = (t % pieces) * piece, j1 = std::min(inner, j0 + piece);
        T* yb = y + out_.outer_offset(s_, o);
        const T* sb = src + src_.outer_offset(s_, o);
        for (int64_t k = 0; k < s_.n; ++k) {
          const int32_t* id = idx + (o * s_.n + k) * inner;
          const T* sr = sb + k * src_.axis_stride;
          for (int64_t j = j0; j < j1; ++j) {
            T& dst = yb[id[j] * out_.axis_stride + out_.inner_offset(s_, j)];
            const T v = sr[src_.inner_offset(s_, j)];
            if constexpr (kAdd)
              dst = add(dst, v);
            else
              dst = v;
          }
        }
      });
    };
    if (kAdd)
      by_numeric(in[0].dtype(), body);
    else
      by_size(in[0].dtype(), body);
  }

 private:
  Space s_;
  Addr out_, src_;
};

// index_select (kAdd false) and index_add: x / base viewed as [outer, dim, inner].
template <bool kAdd>
class IndexAlongKernel final : public Kernel {
 public:
  explicit IndexAlongKernel(const KernelArgs& a) {
    const Shape& x = a.inputs[0].shape;
    axis_ = checked_axis(name(), a.attrs.get_int("axis"), x);
    for (int d = 0; d < x.rank(); ++d) (d < axis_ ? outer_ : d > axis_ ? inner_ : dim_) *= x[d];
    k_ = a.inputs[1].shape[0];
  }
  static const char* name() { return kAdd ? "index_add" : "index_select"; }
  void run(const Tensor* in, Tensor* out) override {
    check(name(), in[1], -dim_, dim_, axis_, in[0]);
    const int32_t* idx = in[1].data<int32_t>();
    auto row = [&](int64_t k) { return idx[k] < 0 ? idx[k] + dim_ : idx[k]; };
    if (!kAdd) {
      by_size(in[0].dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* x = static_cast<const T*>(in[0].raw_data());
        T* y = static_cast<T*>(out[0].raw_data());
        cpu::parallel_for(outer_ * k_, outer_ * k_ * inner_ >= kParallelGrain, [&](int64_t r) {
          std::copy_n(x + (r / k_ * dim_ + row(r % k_)) * inner_, inner_, y + r * inner_);
        });
      });
      return;
    }
    cpu::strided_copy(in[0], out[0]);
    by_numeric(in[0].dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* src = static_cast<const T*>(in[2].raw_data());
      T* y = static_cast<T*>(out[0].raw_data());
      const int64_t piece = outer_ >= 8 ? inner_ : std::max<int64_t>(64, (inner_ + 7) / 8);
      const int64_t pieces = (inner_ + piece - 1) / piece;
      cpu::parallel_for(outer_ * pieces, outer_ * k_ * inner_ >= kParallelGrain, [&](int64_t t) {
        const int64_t o = t / pieces, j0 = (t % pieces) * piece,
                      n = std::min(inner_, j0 + piece) - j0;
        for (int64_t k = 0; k < k_; ++k) {
          T* dst = y + (o * dim_ + row(k)) * inner_ + j0;
          const T* s = src + (o * k_ + k) * inner_ + j0;
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) dst[j] = add(dst[j], s[j]);
        }
      });
    });
  }

 private:
  int axis_ = 0;
  int64_t outer_ = 1, dim_ = 1, inner_ = 1, k_ = 0;
};

void cpu_one_hot(const Attrs& a, const Tensor* in, Tensor* out) {
  const int64_t classes = a.get_int("num_classes"), n = in[0].numel();
  const int64_t at = first_bad_index(in[0], 0, classes);
  if (at >= 0) throw_bad_index("one_hot", in[0], at, 0, classes, str_cat("num_classes ", classes));
  const int32_t* labels = in[0].data<int32_t>();
  float* y = out[0].data<float>();
  cpu::parallel_for(n, n * classes >= kParallelGrain, [&](int64_t i) {
    std::fill_n(y + i * classes, classes, 0.0f);
    y[i * classes + labels[i]] = 1.0f;
  });
}

template <typename K>
KernelFactory prepared() {
  return
      [](const KernelArgs& args) -> std::unique_ptr<Kernel> { return std::make_unique<K>(args); };
}

}  // namespace

void register_index_cpu(OpTable& t) {
  t.set_kernel("gather", Backend::kCpu, prepared<GatherKernel>());
  t.set_kernel("scatter", Backend::kCpu, prepared<ScatterKernel<false>>());
  t.set_kernel("scatter_add", Backend::kCpu, prepared<ScatterKernel<true>>());
  t.set_kernel("index_select", Backend::kCpu, prepared<IndexAlongKernel<false>>());
  t.set_kernel("index_add", Backend::kCpu, prepared<IndexAlongKernel<true>>());
  t.set_kernel("one_hot", Backend::kCpu, stateless_kernel(cpu_one_hot));
}

}  // namespace kiln
