// Reference softmax family over x viewed as (outer, axis, inner), in double:
//   softmax: y = exp(x - max) / sum exp(x - max)   backward: dx = y * (dy - sum dy * y)
//   log_softmax: y = x - max - log sum exp(x - max) backward: dx = dy - exp(y) * sum dy
#include <algorithm>
#include <cmath>

#include "kernels/ops/softmax.h"

namespace kiln {
namespace {

// Calls fn(base, stride) once per softmax line: elements base + i * stride.
template <typename Fn>
void for_each_line(const SoftmaxGeometry& g, Fn&& fn) {
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i) fn(o * g.axis_size * g.inner + i, g.inner);
}

template <bool kLog>
void ref_softmax(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const SoftmaxGeometry g =
      softmax_geometry(get_op(kLog ? "log_softmax" : "softmax"), attrs, in[0].shape());
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  for_each_line(g, [&](int64_t base, int64_t stride) {
    double mx = -INFINITY, sum = 0;
    for (int64_t a = 0; a < g.axis_size; ++a) mx = std::max<double>(mx, x[base + a * stride]);
    for (int64_t a = 0; a < g.axis_size; ++a) sum += std::exp(x[base + a * stride] - mx);
    for (int64_t a = 0; a < g.axis_size; ++a) {
      const double v = x[base + a * stride] - mx;
      y[base + a * stride] = static_cast<float>(kLog ? v - std::log(sum) : std::exp(v) / sum);
    }
  });
}

template <bool kLog>
void ref_softmax_backward(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const SoftmaxGeometry g = softmax_geometry(
      get_op(kLog ? "log_softmax_backward" : "softmax_backward"), attrs, in[0].shape());
  const float *y = in[0].data<float>(), *dy = in[1].data<float>();
  float* dx = out[0].data<float>();
  for_each_line(g, [&](int64_t base, int64_t stride) {
    double dot = 0;
    for (int64_t a = 0; a < g.axis_size; ++a) {
      const int64_t i = base + a * stride;
      dot += kLog ? dy[i] : static_cast<double>(dy[i]) * y[i];
    }
    for (int64_t a = 0; a < g.axis_size; ++a) {
      const int64_t i = base + a * stride;
      dx[i] = static_cast<float>(kLog ? dy[i] - std::exp(static_cast<double>(y[i])) * dot
                                      : y[i] * (dy[i] - dot));
    }
  });
}

}  // namespace

void register_softmax_reference(OpTable& t) {
  t.set_kernel("softmax", Backend::kReference, stateless_kernel(ref_softmax<false>));
  t.set_kernel("log_softmax", Backend::kReference, stateless_kernel(ref_softmax<true>));
  t.set_kernel("softmax_backward", Backend::kReference,
               stateless_kernel(ref_softmax_backward<false>));
  t.set_kernel("log_softmax_backward", Backend::kReference,
               stateless_kernel(ref_softmax_backward<true>));
}

}  // namespace kiln
