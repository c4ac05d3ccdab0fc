// Per-element math of the elementwise ops, written once as X-macro lists and
// expanded by the op definitions, the CPU kernels and the reference kernels.
// Entries: X(op_name, expression over x (unary) or a, b (binary)), with T the
// element type.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/core/half.h"

namespace kiln {
namespace math {

template <typename T> T floor_div(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == 0) return 0;  // numpy's result; never a SIGFPE
    if (b == -1) return static_cast<T>(0u - static_cast<std::make_unsigned_t<T>>(a));  // INT_MIN / -1 traps
    T q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
  } else {
    return std::floor(a / b);
  }
}

template <typename T> T mod(T a, T b) {  // Python/numpy: the sign follows the divisor
  if constexpr (std::is_integral_v<T>) {
    if (b == 0 || b == -1) return 0;  // INT_MIN % -1 traps on x86
    T r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  } else {
    T r = std::fmod(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  }
}

// Element conversion for cast and fill; float16 goes through float32.
template <typename From, typename To>
To convert(From v) {
  if constexpr (std::is_same_v<From, Half>) {
    return static_cast<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, Half>) {
    return Half(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}


inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace math
}  // namespace kiln

// float32 only.
#define KILN_FLOAT_UNARY_OPS(X)                  \
  X(exp, std::exp(x))                            \
  X(log, std::log(x))                            \
  X(log1p, std::log1p(x))                        \
  X(expm1, std::expm1(x))                        \
  X(sqrt, std::sqrt(x))                          \
  X(sin, std::sin(x))                            \
  X(cos, std::cos(x))                            \
  X(tanh, std::tanh(x))                          \
  X(sigmoid, ::kiln::math::sigmoid(x))           \
  X(erf, std::erf(x))                            \
  X(floor, std::floor(x))                        \
  X(ceil, std::ceil(x))                          \
  X(round, std::round(x))

// float32 and int32.
#define KILN_NUMERIC_UNARY_OPS(X)      \
  X(neg, -x)                           \
  X(abs, x < T(0) ? -x : x)            \
  X(square, x * x)                     \
  X(relu, x > T(0) ? x : T(0))         \
  X(sign, T((x > T(0)) - (x < T(0))))

// float32 only. The *_grad entries are fused backward ops (a = dy).
#define KILN_FLOAT_BINARY_OPS(X)                   \
  X(div, a / b)                                    \
  X(pow, std::pow(a, b))                           \
  X(relu_grad, b > 0.0f ? a : 0.0f)                \
  X(sigmoid_grad, a * b * (1.0f - b))              \
  X(tanh_grad, a * (1.0f - b * b))

// float32 and int32.
#define KILN_NUMERIC_BINARY_OPS(X)                  \
  X(add, a + b)                                     \
  X(sub, a - b)                                     \
  X(mul, a * b)                                     \
  X(maximum, a > b ? a : b)                         \
  X(minimum, a < b ? a : b)                         \
  X(floor_div, ::kiln::math::floor_div(a, b))       \
  X(mod, ::kiln::math::mod(a, b))

// float32, int32 and bool inputs; bool output.
#define KILN_COMPARE_OPS(X)      \
  X(equal, a == b)               \
  X(not_equal, a != b)           \
  X(less, a < b)                 \
  X(less_equal, a <= b)          \
  X(greater, a > b)              \
  X(greater_equal, a >= b)

// bool only.
#define KILN_LOGICAL_BINARY_OPS(X) \
  X(logical_and, a && b)           \
  X(logical_or, a || b)            \
  X(logical_xor, a != b)

// Every op of the family, for the per-backend registration lists.
#define KILN_ELEMENTWISE_KERNELS(X) \
  KILN_FLOAT_UNARY_OPS(X)           \
  KILN_NUMERIC_UNARY_OPS(X)         \
  KILN_FLOAT_BINARY_OPS(X)          \
  KILN_NUMERIC_BINARY_OPS(X)        \
  KILN_COMPARE_OPS(X)               \
  KILN_LOGICAL_BINARY_OPS(X)        \
  X(logical_not, )                  \
  X(where, )                        \
  X(cast, )                         \
  X(fill, )
