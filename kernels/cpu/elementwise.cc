// CPU kernels of the elementwise family: contiguous inputs take a flat,
// vectorized loop; broadcast or strided ones go through StridedLoop with inner
// loops specialised for unit and zero strides.
#include "kernels/ops/elementwise.h"

#include "kernels/core/error.h"
#include "kernels/cpu/loops.h"
#include "kernels/ops/elementwise_math.h"

namespace kiln {
namespace {

using cpu::kParallelGrain;
using cpu::StridedLoop;

template <typename In, typename Out, typename F>
void unary_loop(const Tensor& x, Tensor& y, F f) {
  const int64_t n = y.numel();
  Out* out = y.data<Out>();
  const In* in = x.data<In>();
  if (x.is_contiguous()) {
    cpu::parallel_chunks(n, n >= kParallelGrain, [&](int64_t begin, int64_t end) {
#pragma omp simd
      for (int64_t i = begin; i < end; ++i) out[i] = f(in[i]);
    });
    return;
  }
  StridedLoop<2> loop(y.shape(), {&y.strides(), &x.strides()});
  loop.run(n, [&](const int64_t* off, int64_t len, const int64_t* st) {
    Out* o = out + off[0];
    const In* a = in + off[1];
    for (int64_t i = 0; i < len; ++i) o[i] = f(a[i * st[1]]);
  });
}

template <typename In, typename Out, typename F>
void binary_loop(const Tensor& a_in, const Tensor& b_in, Tensor& y, F f) {
  const int64_t n = y.numel();
  Out* out = y.data<Out>();
  const In* pa = a_in.data<In>();
  const In* pb = b_in.data<In>();
  if (a_in.shape() == y.shape() && b_in.shape() == y.shape() && a_in.is_contiguous() &&
      b_in.is_contiguous()) {
    cpu::parallel_chunks(n, n >= kParallelGrain, [&](int64_t begin, int64_t end) {
#pragma omp simd
      for (int64_t i = begin; i < end; ++i) out[i] = f(pa[i], pb[i]);
    });
    return;
  }
  const Tensor a = a_in.broadcast_view(y.shape()), b = b_in.broadcast_view(y.shape());
  StridedLoop<3> loop(y.shape(), {&y.strides(), &a.strides(), &b.strides()});
  loop.run(n, [&](const int64_t* off, int64_t len, const int64_t* st) {
    Out* o = out + off[0];
    const In* x = pa + off[1];
    const In* z = pb + off[2];
    if (st[1] == 1 && st[2] == 1) {
#pragma omp simd
      for (int64_t i = 0; i < len; ++i) o[i] = f(x[i], z[i]);
    } else if (st[1] == 1 && st[2] == 0) {
      const In s = z[0];
#pragma omp simd
      for (int64_t i = 0; i < len; ++i) o[i] = f(x[i], s);
    } else if (st[1] == 0 && st[2] == 1) {
      const In s = x[0];
#pragma omp simd
      for (int64_t i = 0; i < len; ++i) o[i] = f(s, z[i]);
    } else {
      for (int64_t i = 0; i < len; ++i) o[i] = f(x[i * st[1]], z[i * st[2]]);
    }
  });
}

[[noreturn]] void unsupported(const char* op, DType dtype) {
  throw_error(ErrorKind::kType, op, ": no CPU kernel for dtype ", dtype_name(dtype));
}

#define KILN_FLOAT_UNARY_KERNEL(name, expr)                                \
  void cpu_##name(const Attrs&, const Tensor* in, Tensor* out) {           \
    unary_loop<float, float>(in[0], out[0], [](float x) { return expr; }); \
  }
KILN_FLOAT_UNARY_OPS(KILN_FLOAT_UNARY_KERNEL)
#undef KILN_FLOAT_UNARY_KERNEL

#define KILN_NUMERIC_UNARY_KERNEL(name, expr)                              \
  void cpu_##name(const Attrs&, const Tensor* in, Tensor* out) {           \
    switch (in[0].dtype()) {                                               \
      case DType::kFloat32:                                                \
        return unary_loop<float, float>(in[0], out[0], [](float x) {       \
          using T = float;                                                 \
          return expr;                                                     \
        });                                                                \
      case DType::kInt32:                                                  \
        return unary_loop<int32_t, int32_t>(in[0], out[0], [](int32_t x) { \
          using T = int32_t;                                               \
          return expr;                                                     \
        });                                                                \
      default:                                                             \
        unsupported(#name, in[0].dtype());                                 \
    }                                                                      \
  }
KILN_NUMERIC_UNARY_OPS(KILN_NUMERIC_UNARY_KERNEL)
#undef KILN_NUMERIC_UNARY_KERNEL

void cpu_logical_not(const Attrs&, const Tensor* in, Tensor* out) {
  unary_loop<bool, bool>(in[0], out[0], [](bool x) { return !x; });
}

#define KILN_FLOAT_BINARY_KERNEL(name, expr)                                                \
  void cpu_##name(const Attrs&, const Tensor* in, Tensor* out) {                            \
    binary_loop<float, float>(in[0], in[1], out[0], [](float a, float b) { return expr; }); \
  }
KILN_FLOAT_BINARY_OPS(KILN_FLOAT_BINARY_KERNEL)
#undef KILN_FLOAT_BINARY_KERNEL

#define KILN_NUMERIC_BINARY_KERNEL(name, expr)                                           \
  void cpu_##name(const Attrs&, const Tensor* in, Tensor* out) {                         \
    switch (in[0].dtype()) {                                                             \
      case DType::kFloat32:                                                              \
        return binary_loop<float, float>(in[0], in[1], out[0],                           \
                                         [](float a, float b) { return expr; });         \
      case DType::kInt32:                                                                \
        return binary_loop<int32_t, int32_t>(in[0], in[1], out[0],                       \
                                             [](int32_t a, int32_t b) { return expr; }); \
      default:                                                                           \
        unsupported(#name, in[0].dtype());                                               \
    }                                                                                    \
  }
KILN_NUMERIC_BINARY_OPS(KILN_NUMERIC_BINARY_KERNEL)
#undef KILN_NUMERIC_BINARY_KERNEL

#define KILN_COMPARE_KERNEL(name, expr)                                                            \
  void cpu_##name(const Attrs&, const Tensor* in, Tensor* out) {                                   \
    switch (in[0].dtype()) {                                                                       \
      case DType::kFloat32:                                                                        \
        return binary_loop<float, bool>(in[0], in[1], out[0],                                      \
                                        [](float a, float b) { return expr; });                    \
      case DType::kInt32:                                                                          \
        return binary_loop<int32_t, bool>(in[0], in[1], out[0],                                    \
                                          [](int32_t a, int32_t b) { return expr; });              \
      case DType::kBool:                                                                           \
        return binary_loop<bool, bool>(in[0], in[1], out[0], [](bool a, bool b) { return expr; }); \
      default:                                                                                     \
        unsupported(#name, in[0].dtype());                                                         \
    }                                                                                              \
  }
KILN_COMPARE_OPS(KILN_COMPARE_KERNEL)
#undef KILN_COMPARE_KERNEL

#define KILN_LOGICAL_KERNEL(name, expr)                                                 \
  void cpu_##name(const Attrs&, const Tensor* in, Tensor* out) {                        \
    binary_loop<bool, bool>(in[0], in[1], out[0], [](bool a, bool b) { return expr; }); \
  }
KILN_LOGICAL_BINARY_OPS(KILN_LOGICAL_KERNEL)
#undef KILN_LOGICAL_KERNEL

void cpu_where(const Attrs&, const Tensor* in, Tensor* out) {
  Tensor& y = out[0];
  const Tensor c = in[0].broadcast_view(y.shape());
  const Tensor a = in[1].broadcast_view(y.shape()), b = in[2].broadcast_view(y.shape());
  StridedLoop<4> loop(y.shape(), {&y.strides(), &c.strides(), &a.strides(), &b.strides()});
  dispatch_dtype(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = y.data<T>();
    const bool* pc = c.data<bool>();
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    loop.run(y.numel(), [&](const int64_t* off, int64_t len, const int64_t* st) {
      for (int64_t i = 0; i < len; ++i)
        o[off[0] + i] = pc[off[1] + i * st[1]] ? pa[off[2] + i * st[2]] : pb[off[3] + i * st[3]];
    });
  });
}

void cpu_cast(const Attrs&, const Tensor* in, Tensor* out) {
  dispatch_dtype(in[0].dtype(), [&](auto from) {
    dispatch_dtype(out[0].dtype(), [&](auto to) {
      using From = decltype(from);
      using To = decltype(to);
      unary_loop<From, To>(in[0], out[0], [](From v) { return math::convert<From, To>(v); });
    });
  });
}

void cpu_fill(const Attrs& attrs, const Tensor*, Tensor* out) {
  const double value = attrs.get_float("value");
  dispatch_dtype(out[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = math::convert<double, T>(value);
    T* o = out[0].data<T>();
    const int64_t n = out[0].numel();
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  });
}

}  // namespace

void register_elementwise_cpu(OpTable& t) {
#define KILN_REGISTER(name, expr) \
  t.set_kernel(#name, Backend::kCpu, stateless_kernel(cpu_##name));
  KILN_ELEMENTWISE_KERNELS(KILN_REGISTER)
#undef KILN_REGISTER
}

}  // namespace kiln
