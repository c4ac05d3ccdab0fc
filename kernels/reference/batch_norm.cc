// Reference batch_norm and its backward, from the formulas, in double:
//   xhat = (x - mean) / sqrt(var + eps),  y = weight * xhat + bias
//   dbias = sum dy,  dweight = sum dy * xhat,  over (N, spatial) per channel
//   dx = weight / sqrt(var + eps) * (dy - [dbias + xhat * dweight] / M)
// where the bracket is present only when mean/var were batch statistics
// (training) over M = N * spatial values.
#include <cmath>
#include <vector>

#include "kernels/ops/batch_norm.h"

namespace kiln {
namespace {

template <typename Fn>
void for_each_in_channel(const BatchNormGeometry& g, int64_t c, Fn&& fn) {
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t s = 0; s < g.spatial; ++s) fn((n * g.c + c) * g.spatial + s);
}

std::vector<TensorMeta> metas(const Tensor* in, int count) {
  std::vector<TensorMeta> out;
  for (int i = 0; i < count; ++i) out.push_back(in[i].meta());
  return out;
}

void ref_batch_norm(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const BatchNormGeometry g =
      batch_norm_geometry(get_op("batch_norm"), metas(in, 5), 0, {1, 2, 3, 4});
  const bool training = attrs.get_bool("training");
  const double eps = attrs.get_float("eps");
  const float* x = in[0].data<float>();
  const double count = static_cast<double>(g.n * g.spatial);
  for (int64_t c = 0; c < g.c; ++c) {
    double mean = in[3].data<float>()[c], var = in[4].data<float>()[c];
    if (training) {
      double sum = 0, sq = 0;
      for_each_in_channel(g, c, [&](int64_t i) { sum += x[i]; });
      mean = sum / count;
      for_each_in_channel(g, c, [&](int64_t i) { sq += (x[i] - mean) * (x[i] - mean); });
      var = sq / count;
    }
    const double rstd = 1.0 / std::sqrt(var + eps);
    const double w = in[1].data<float>()[c], b = in[2].data<float>()[c];
    for_each_in_channel(g, c, [&](int64_t i) {
      out[0].data<float>()[i] = static_cast<float>((x[i] - mean) * rstd * w + b);
    });
    out[1].data<float>()[c] = static_cast<float>(mean);
    out[2].data<float>()[c] = static_cast<float>(var);
  }
}

void ref_batch_norm_backward(const Attrs& attrs, const Tensor* in, Tensor* out) {
  const BatchNormGeometry g =
      batch_norm_geometry(get_op("batch_norm_backward"), metas(in, 5), 1, {2, 3, 4});
  const bool training = attrs.get_bool("training");
  const double eps = attrs.get_float("eps");
  const float *dy = in[0].data<float>(), *x = in[1].data<float>();
  const double count = static_cast<double>(g.n * g.spatial);
  for (int64_t c = 0; c < g.c; ++c) {
    const double mean = in[3].data<float>()[c];
    const double rstd = 1.0 / std::sqrt(in[4].data<float>()[c] + eps);
    const double w = in[2].data<float>()[c];
    double dbias = 0, dweight = 0;
    for_each_in_channel(g, c, [&](int64_t i) {
      dbias += dy[i];
      dweight += dy[i] * (x[i] - mean) * rstd;
    });
    for_each_in_channel(g, c, [&](int64_t i) {
      const double xhat = (x[i] - mean) * rstd;
      const double centred = training ? dy[i] - (dbias + xhat * dweight) / count : dy[i];
      out[0].data<float>()[i] = static_cast<float>(w * rstd * centred);
    });
    out[1].data<float>()[c] = static_cast<float>(dweight);
    out[2].data<float>()[c] = static_cast<float>(dbias);
  }
}

}  // namespace

void register_batch_norm_reference(OpTable& t) {
  t.set_kernel("batch_norm", Backend::kReference, stateless_kernel(ref_batch_norm));
  t.set_kernel("batch_norm_backward", Backend::kReference,
               stateless_kernel(ref_batch_norm_backward));
}

}  // namespace kiln
