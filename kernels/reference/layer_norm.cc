// Reference layer_norm and its backward over (rows, cols), in double:
//   xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps), y = xhat * weight + bias
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * weight
//   dweight = sum_rows dy * xhat, dbias = sum_rows dy
#include <cmath>
#include <vector>

#include "kernels/ops/layer_norm.h"

namespace kiln {
namespace {

std::vector<TensorMeta> metas(const Tensor* in, int count) {
  std::vector<TensorMeta> out;
  for (int i = 0; i < count; ++i) out.push_back(in[i].meta());
  return out;
}

void ref_layer_norm(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const LayerNormGeometry g = layer_norm_geometry(get_op("layer_norm"), attrs, metas(in, 3), 0);
  const double eps = attrs.get_float("eps");
  const float *x = in[0].data<float>(), *w = in[1].data<float>(), *b = in[2].data<float>();
  for (int64_t r = 0; r < g.rows; ++r) {
    double sum = 0, sq = 0;
    for (int64_t c = 0; c < g.cols; ++c) sum += x[r * g.cols + c];
    const double mean = sum / g.cols;
    for (int64_t c = 0; c < g.cols; ++c) sq += std::pow(x[r * g.cols + c] - mean, 2);
    const double rstd = 1.0 / std::sqrt(sq / g.cols + eps);
    for (int64_t c = 0; c < g.cols; ++c) {
      const int64_t i = r * g.cols + c;
      out[0].data<float>()[i] = static_cast<float>((x[i] - mean) * rstd * w[c] + b[c]);
    }
    out[1].data<float>()[r] = static_cast<float>(mean);
    out[2].data<float>()[r] = static_cast<float>(rstd);
  }
}

void ref_layer_norm_backward(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const LayerNormGeometry g =
      layer_norm_geometry(get_op("layer_norm_backward"), attrs, metas(in, 5), 1);
  const float *dy = in[0].data<float>(), *x = in[1].data<float>(), *w = in[2].data<float>();
  std::vector<double> dw(g.cols, 0.0), db(g.cols, 0.0);
  for (int64_t r = 0; r < g.rows; ++r) {
    const double mean = in[3].data<float>()[r], rstd = in[4].data<float>()[r];
    double sum_g = 0, sum_gx = 0;
    for (int64_t c = 0; c < g.cols; ++c) {
      const int64_t i = r * g.cols + c;
      const double xhat = (x[i] - mean) * rstd;
      sum_g += static_cast<double>(dy[i]) * w[c];
      sum_gx += static_cast<double>(dy[i]) * w[c] * xhat;
      dw[c] += dy[i] * xhat;
      db[c] += dy[i];
    }
    for (int64_t c = 0; c < g.cols; ++c) {
      const int64_t i = r * g.cols + c;
      const double xhat = (x[i] - mean) * rstd;
      out[0].data<float>()[i] = static_cast<float>(
          rstd * (static_cast<double>(dy[i]) * w[c] - sum_g / g.cols - xhat * sum_gx / g.cols));
    }
  }
  for (int64_t c = 0; c < g.cols; ++c) {
    out[1].data<float>()[c] = static_cast<float>(dw[c]);
    out[2].data<float>()[c] = static_cast<float>(db[c]);
  }
}

}  // namespace

void register_layer_norm_reference(OpTable& t) {
  t.set_kernel("layer_norm", Backend::kReference, stateless_kernel(ref_layer_norm));
  t.set_kernel("layer_norm_backward", Backend::kReference,
               stateless_kernel(ref_layer_norm_backward));
}

}  // namespace kiln
