// Reference pooling: for each output element, a scan of its window clipped to
// the input. Max keeps the first maximum in row-major window order (its
// backward routes dy there); avg divides by the kernel area when
// count_include_pad is set, else by the number of input elements in the window.
#include "kernels/ops/pool2d.h"

#include <vector>

namespace kiln {
namespace {

// Calls fn(y_index, x_indices, count, area) per output element, where
// x_indices lists the window's input elements in row-major (h, w) order.
// Indices follow the geometry's layout (layout_offset).
template <typename Fn>
void for_each_window(const Pool2dGeometry& g, Fn&& fn) {
  const Nchw xd = g.input_dims(), yd = g.output_dims();
  std::vector<int64_t> window;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t c = 0; c < g.c; ++c)
      for (int64_t i = 0; i < g.oh; ++i)
        for (int64_t j = 0; j < g.ow; ++j) {
          window.clear();
          for (int64_t p = 0; p < g.kernel[0]; ++p)
            for (int64_t q = 0; q < g.kernel[1]; ++q) {
              const int64_t h = i * g.stride[0] - g.padding[0] + p;
              const int64_t w = j * g.stride[1] - g.padding[1] + q;
              if (h >= 0 && h < g.h && w >= 0 && w < g.w)
                window.push_back(layout_offset(g.layout, xd, n, c, h, w));
            }
          fn(layout_offset(g.layout, yd, n, c, i, j), window);
        }
}

int64_t argmax(const float* x, const std::vector<int64_t>& window) {
  int64_t best = window[0];
  for (int64_t idx : window)
    if (x[idx] > x[best]) best = idx;
  return best;
}

double divisor(const Pool2dGeometry& g, const std::vector<int64_t>& window) {
  return g.count_include_pad ? static_cast<double>(g.kernel[0] * g.kernel[1])
                             : static_cast<double>(window.size());
}

void ref_max_pool2d(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const Pool2dGeometry g = pool2d_geometry(get_op("max_pool2d"), attrs, in[0].shape());
  const float* x = in[0].data<float>();
  for_each_window(g, [&](int64_t yi, const std::vector<int64_t>& win) {
    out[0].data<float>()[yi] = x[argmax(x, win)];
  });
}

void ref_avg_pool2d(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const Pool2dGeometry g = pool2d_geometry(get_op("avg_pool2d"), attrs, in[0].shape());
  const float* x = in[0].data<float>();
  for_each_window(g, [&](int64_t yi, const std::vector<int64_t>& win) {
    double sum = 0;
    for (int64_t idx : win) sum += x[idx];
    out[0].data<float>()[yi] = static_cast<float>(sum / divisor(g, win));
  });
}

void ref_max_pool2d_backward(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const Pool2dGeometry g = pool2d_geometry(get_op("max_pool2d_backward"), attrs, in[0].shape());
  const float *x = in[0].data<float>(), *dy = in[1].data<float>();
  std::vector<double> dx(out[0].numel(), 0.0);
  for_each_window(
      g, [&](int64_t yi, const std::vector<int64_t>& win) { dx[argmax(x, win)] += dy[yi]; });
  for (size_t i = 0; i < dx.size(); ++i) out[0].data<float>()[i] = static_cast<float>(dx[i]);
}

void ref_avg_pool2d_backward(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const Pool2dGeometry g = pool2d_geometry(get_op("avg_pool2d_backward"), attrs, out[0].shape());
  const float* dy = in[0].data<float>();
  std::vector<double> dx(out[0].numel(), 0.0);
  for_each_window(g, [&](int64_t yi, const std::vector<int64_t>& win) {
    for (int64_t idx : win) dx[idx] += dy[yi] / divisor(g, win);
  });
  for (size_t i = 0; i < dx.size(); ++i) out[0].data<float>()[i] = static_cast<float>(dx[i]);
}

}  // namespace

void register_pool2d_reference(OpTable& t) {
  t.set_kernel("max_pool2d", Backend::kReference, stateless_kernel(ref_max_pool2d));
  t.set_kernel("avg_pool2d", Backend::kReference, stateless_kernel(ref_avg_pool2d));
  t.set_kernel("max_pool2d_backward", Backend::kReference,
               stateless_kernel(ref_max_pool2d_backward));
  t.set_kernel("avg_pool2d_backward", Backend::kReference,
               stateless_kernel(ref_avg_pool2d_backward));
}

}  // namespace kiln
