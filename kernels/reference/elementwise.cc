// Reference kernels of the elementwise family: one plain loop over output
// indices with explicit broadcasting arithmetic. The oracle for tests.
#include "kernels/core/error.h"
#include "kernels/ops/elementwise.h"
#include "kernels/ops/elementwise_math.h"
#include "kernels/reference/index_math.h"

namespace kiln {
namespace {

using reference::broadcast_offset;

template <typename In, typename Out, typename F>
void ref_unary(const Tensor& x, Tensor& y, F f) {
  for (int64_t i = 0; i < y.numel(); ++i)
    y.data<Out>()[i] = f(x.data<In>()[broadcast_offset(y.shape(), i, x)]);
}

template <typename In, typename Out, typename F>
void ref_binary(const Tensor& a, const Tensor& b, Tensor& y, F f) {
  for (int64_t i = 0; i < y.numel(); ++i) {
    const In va = a.data<In>()[broadcast_offset(y.shape(), i, a)];
    const In vb = b.data<In>()[broadcast_offset(y.shape(), i, b)];
    y.data<Out>()[i] = f(va, vb);
  }
}

#define KILN_REF_UNARY(name, expr)                                              \
  void ref_##name(const Attrs&, const Tensor* in, Tensor* out) {                \
    if (in[0].dtype() == DType::kInt32) {                                       \
      using T = int32_t;                                                        \
      return ref_unary<T, T>(in[0], out[0], [](T x) { return T(expr); });       \
    }                                                                           \
    using T = float;                                                            \
    ref_unary<T, T>(in[0], out[0], [](T x) { return T(expr); });                \
  }
KILN_FLOAT_UNARY_OPS(KILN_REF_UNARY)
KILN_NUMERIC_UNARY_OPS(KILN_REF_UNARY)
#undef KILN_REF_UNARY

void ref_logical_not(const Attrs&, const Tensor* in, Tensor* out) {
  ref_unary<bool, bool>(in[0], out[0], [](bool x) { return !x; });
}

#define KILN_REF_BINARY(name, expr)                                                  \
  void ref_##name(const Attrs&, const Tensor* in, Tensor* out) {                     \
    if (in[0].dtype() == DType::kInt32) {                                            \
      using T = int32_t;                                                             \
      return ref_binary<T, T>(in[0], in[1], out[0], [](T a, T b) { return T(expr); }); \
    }                                                                                \
    using T = float;                                                                 \
    ref_binary<T, T>(in[0], in[1], out[0], [](T a, T b) { return T(expr); });        \
  }
KILN_FLOAT_BINARY_OPS(KILN_REF_BINARY)
KILN_NUMERIC_BINARY_OPS(KILN_REF_BINARY)
#undef KILN_REF_BINARY

#define KILN_REF_COMPARE(name, expr)                                                     \
  void ref_##name(const Attrs&, const Tensor* in, Tensor* out) {                         \
    dispatch_dtype(in[0].dtype(), [&](auto tag) {                                        \
      using T = decltype(tag);                                                           \
      if constexpr (std::is_same_v<T, Half>) {                                           \
        throw_error(ErrorKind::kType, #name, ": no reference kernel for float16");       \
      } else {                                                                           \
        ref_binary<T, bool>(in[0], in[1], out[0], [](T a, T b) { return bool(expr); });  \
      }                                                                                  \
    });                                                                                  \
  }
KILN_COMPARE_OPS(KILN_REF_COMPARE)
KILN_LOGICAL_BINARY_OPS(KILN_REF_COMPARE)
#undef KILN_REF_COMPARE

void ref_where(const Attrs&, const Tensor* in, Tensor* out) {
  Tensor& y = out[0];
  dispatch_dtype(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < y.numel(); ++i) {
      const bool c = in[0].data<bool>()[broadcast_offset(y.shape(), i, in[0])];
      const Tensor& src = c ? in[1] : in[2];
      y.data<T>()[i] = src.data<T>()[broadcast_offset(y.shape(), i, src)];
    }
  });
}

void ref_cast(const Attrs&, const Tensor* in, Tensor* out) {
  dispatch_dtype(in[0].dtype(), [&](auto from) {
    dispatch_dtype(out[0].dtype(), [&](auto to) {
      using From = decltype(from);
      using To = decltype(to);
      ref_unary<From, To>(in[0], out[0], [](From v) { return math::convert<From, To>(v); });
    });
  });
}

void ref_fill(const Attrs& attrs, const Tensor*, Tensor* out) {
  dispatch_dtype(out[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < out[0].numel(); ++i)
      out[0].data<T>()[i] = math::convert<double, T>(attrs.get_float("value"));
  });
}

}  // namespace

void register_elementwise_reference(OpTable& t) {
#define KILN_REGISTER(name, expr) \
  t.set_kernel(#name, Backend::kReference, stateless_kernel(ref_##name));
  KILN_ELEMENTWISE_KERNELS(KILN_REGISTER)
#undef KILN_REGISTER
}

}  // namespace kiln
