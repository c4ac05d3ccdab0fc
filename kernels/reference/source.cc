// Reference kernels of the source ops: one element at a time through the
// shared fill functions (kernels/ops/source.h), which define the values.
#include "kernels/ops/source.h"

namespace kiln {
namespace {

void ref_arange(const Attrs& a, const Tensor*, Tensor* out) {
  for (int64_t i = 0; i < out[0].numel(); ++i) {
    if (out[0].dtype() == DType::kInt32)
      fill_arange(out[0].data<int32_t>() + i, i, i + 1, a.get_float("start"), a.get_float("step"));
    else
      fill_arange(out[0].data<float>() + i, i, i + 1, a.get_float("start"), a.get_float("step"));
  }
}

void ref_uniform_random(const Attrs& a, const Tensor* in, Tensor* out) {
  for (int64_t i = 0; i < out[0].numel(); ++i)
    fill_uniform(out[0].data<float>() + i, i, i + 1, random_stream_seed(a, in[0]),
                 float(a.get_float("low")), float(a.get_float("high")));
}

void ref_normal_random(const Attrs& a, const Tensor* in, Tensor* out) {
  for (int64_t i = 0; i < out[0].numel(); ++i)
    fill_normal(out[0].data<float>() + i, i, i + 1, random_stream_seed(a, in[0]),
                float(a.get_float("mean")), float(a.get_float("std")));
}

}  // namespace

void register_source_reference(OpTable& t) {
  t.set_kernel("arange", Backend::kReference, stateless_kernel(ref_arange));
  t.set_kernel("uniform_random", Backend::kReference, stateless_kernel(ref_uniform_random));
  t.set_kernel("normal_random", Backend::kReference, stateless_kernel(ref_normal_random));
}

}  // namespace kiln
