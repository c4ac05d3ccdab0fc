// Reference conv2d and its backward ops: direct loops from the definition,
//   y[n,o,i,j] = b[o] + sum_{c,p,q} x[n, g*C/G + c, i*s - pad + p*d, j*s - pad + q*d] w[o,c,p,q]
// (g = o's group), accumulated in double, plus the residual input when
// residual is set, then min(max(y, 0), relu_max) when relu is set.
// The backward ops scatter the same terms into dx or dw. Activations are
// indexed through layout_offset, so NCHW and NHWC share every loop.
#include "kernels/ops/conv2d.h"

#include <algorithm>
#include <vector>

namespace kiln {
namespace {

// Calls fn(x_index, w_index, y_index) for every term of the convolution sum.
template <typename Fn>
void for_each_term(const Conv2dGeometry& g, Fn&& fn) {
  const int64_t cg = g.c / g.groups, og = g.o / g.groups;
  const Nchw xd = g.input_dims(), yd = g.output_dims();
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < g.o; ++o)
      for (int64_t i = 0; i < g.oh; ++i)
        for (int64_t j = 0; j < g.ow; ++j) {
          const int64_t y_idx = layout_offset(g.layout, yd, n, o, i, j);
          for (int64_t c = 0; c < cg; ++c) {
            const int64_t xc = (o / og) * cg + c;
            for (int64_t p = 0; p < g.kh; ++p) {
              const int64_t h = i * g.stride[0] - g.padding[0] + p * g.dilation[0];
              if (h < 0 || h >= g.h) continue;
              for (int64_t q = 0; q < g.kw; ++q) {
                const int64_t w = j * g.stride[1] - g.padding[1] + q * g.dilation[1];
                if (w < 0 || w >= g.w) continue;
                fn(layout_offset(g.layout, xd, n, xc, h, w), ((o * cg + c) * g.kh + p) * g.kw + q,
                   y_idx);
              }
            }
          }
        }
}

void store(const std::vector<double>& acc, Tensor& out) {
  for (size_t i = 0; i < acc.size(); ++i) out.data<float>()[i] = static_cast<float>(acc[i]);
}

class RefConv2d final : public Kernel {
 public:
  explicit RefConv2d(const KernelArgs& args)
      : g_(conv2d_geometry(get_op("conv2d"), args.attrs, args.inputs[0].shape,
                           args.inputs[1].shape)),
        residual_(args.attrs.get_bool("residual")),
        has_bias_(conv2d_has_bias(args.attrs, args.inputs.size())),
        relu_(args.attrs.get_bool("relu")),
        relu_max_(args.attrs.get_float("relu_max")) {}

  void run(const Tensor* in, Tensor* out) override {
    std::vector<double> acc(out[0].numel(), 0.0);
    const float *x = in[0].data<float>(), *w = in[1].data<float>();
    for_each_term(g_, [&](int64_t xi, int64_t wi, int64_t yi) {
      acc[yi] += static_cast<double>(x[xi]) * w[wi];
    });
    if (has_bias_) {
      // The channel of flat index i: NCHW (i / plane) % o, NHWC i % o.
      const int64_t inner = g_.layout == Layout::kNCHW ? g_.oh * g_.ow : 1;
      for (size_t i = 0; i < acc.size(); ++i) acc[i] += in[2].data<float>()[(i / inner) % g_.o];
    }
    if (residual_) {
      const float* r = in[has_bias_ ? 3 : 2].data<float>();
      for (size_t i = 0; i < acc.size(); ++i) acc[i] += r[i];
    }
    if (relu_)
      for (double& v : acc) v = v > 0 ? std::min(v, relu_max_) : 0.0;
    store(acc, out[0]);
  }

 private:
  Conv2dGeometry g_;
  bool residual_, has_bias_, relu_;
  double relu_max_;
};

void ref_conv2d_backward_data(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const Conv2dGeometry g =
      conv2d_geometry(get_op("conv2d_backward_data"), attrs, out[0].shape(), in[1].shape());
  std::vector<double> acc(out[0].numel(), 0.0);
  const float *dy = in[0].data<float>(), *w = in[1].data<float>();
  for_each_term(g, [&](int64_t xi, int64_t wi, int64_t yi) {
    acc[xi] += static_cast<double>(dy[yi]) * w[wi];
  });
  store(acc, out[0]);
}

void ref_conv2d_backward_weight(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const Conv2dGeometry g =
      conv2d_geometry(get_op("conv2d_backward_weight"), attrs, in[1].shape(), out[0].shape());
  std::vector<double> acc(out[0].numel(), 0.0);
  const float *dy = in[0].data<float>(), *x = in[1].data<float>();
  for_each_term(g, [&](int64_t xi, int64_t wi, int64_t yi) {
    acc[wi] += static_cast<double>(dy[yi]) * x[xi];
  });
  store(acc, out[0]);
}

}  // namespace

void register_conv2d_reference(OpTable& t) {
  t.set_kernel("conv2d", Backend::kReference,
               [](const KernelArgs& args) { return std::make_unique<RefConv2d>(args); });
  t.set_kernel("conv2d_backward_data", Backend::kReference,
               stateless_kernel(ref_conv2d_backward_data));
  t.set_kernel("conv2d_backward_weight", Backend::kReference,
               stateless_kernel(ref_conv2d_backward_weight));
}

}  // namespace kiln
