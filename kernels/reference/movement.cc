// Reference kernels of the movement family: one loop over output elements,
// each computing its source's multi-index by hand; elements are copied as
// bytes, so every dtype works. The oracle for tests.
#include "kernels/ops/movement.h"

#include <cstring>

#include "kernels/ops/elementwise_math.h"
#include "kernels/reference/index_math.h"

namespace kiln {
namespace {

using reference::broadcast_offset;
using reference::offset_of;
using reference::unravel;

void copy_element(const Tensor& src, int64_t src_offset, const Tensor& dst, int64_t dst_offset) {
  const int64_t size = static_cast<int64_t>(dtype_size(src.dtype()));
  std::memcpy(static_cast<char*>(dst.raw_data()) + dst_offset * size,
              static_cast<const char*>(src.raw_data()) + src_offset * size, size);
}

void ref_reshape(const Attrs&, const Tensor* in, Tensor* out) {
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < out[0].numel(); ++i) {  // the i-th element in row-major order
    unravel(in[0].shape(), i, idx);
    copy_element(in[0], offset_of(in[0], idx), out[0], i);
  }
}

void ref_broadcast_to(const Attrs&, const Tensor* in, Tensor* out) {
  for (int64_t i = 0; i < out[0].numel(); ++i)
    copy_element(in[0], broadcast_offset(out[0].shape(), i, in[0]), out[0], i);
}

void ref_transpose(const Attrs& a, const Tensor* in, Tensor* out) {
  const std::vector<int64_t>& perm = a.get_ints("perm");
  const int rank = in[0].rank();
  int64_t oidx[kMaxRank], idx[kMaxRank];
  for (int64_t i = 0; i < out[0].numel(); ++i) {
    unravel(out[0].shape(), i, oidx);
    for (int k = 0; k < rank; ++k) idx[perm[k] < 0 ? perm[k] + rank : perm[k]] = oidx[k];
    copy_element(in[0], offset_of(in[0], idx), out[0], i);
  }
}

void ref_slice(const Attrs& a, const Tensor* in, Tensor* out) {
  const SliceSpec spec = slice_spec("slice", a, in[0].shape());
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < out[0].numel(); ++i) {
    unravel(out[0].shape(), i, idx);
    for (int d = 0; d < in[0].rank(); ++d) idx[d] = spec.start[d] + idx[d] * spec.step[d];
    copy_element(in[0], offset_of(in[0], idx), out[0], i);
  }
}

void ref_slice_backward(const Attrs& a, const Tensor* in, Tensor* out) {
  const SliceSpec spec = slice_spec("slice_backward", a, out[0].shape());
  std::memset(out[0].raw_data(), 0, out[0].nbytes());  // zero bytes are 0 in every dtype
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < in[0].numel(); ++i) {
    unravel(in[0].shape(), i, idx);
    const int64_t src = offset_of(in[0], idx);
    for (int d = 0; d < out[0].rank(); ++d) idx[d] = spec.start[d] + idx[d] * spec.step[d];
    copy_element(in[0], src, out[0], offset_of(out[0], idx));
  }
}

void ref_concat(const Attrs& a, const Tensor* in, Tensor* out) {
  const int rank = out[0].rank();
  const int axis =
      static_cast<int>(a.get_int("axis") < 0 ? a.get_int("axis") + rank : a.get_int("axis"));
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < out[0].numel(); ++i) {
    unravel(out[0].shape(), i, idx);
    int j = 0;  // the input that holds idx[axis]
    while (idx[axis] >= in[j].shape()[axis]) idx[axis] -= in[j++].shape()[axis];
    copy_element(in[j], offset_of(in[j], idx), out[0], i);
  }
}

void ref_pad(const Attrs& a, const Tensor* in, Tensor* out) {
  const std::vector<int64_t>& pads = a.get_ints("pads");
  dispatch_dtype(out[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T value = math::convert<double, T>(a.get_float("value"));
    int64_t idx[kMaxRank];
    for (int64_t i = 0; i < out[0].numel(); ++i) {
      unravel(out[0].shape(), i, idx);
      bool inside = true;
      for (int d = 0; d < out[0].rank(); ++d) {
        idx[d] -= pads[2 * d];
        inside = inside && idx[d] >= 0 && idx[d] < in[0].shape()[d];
      }
      if (inside)
        copy_element(in[0], offset_of(in[0], idx), out[0], i);
      else
        out[0].data<T>()[i] = value;
    }
  });
}

void ref_copy(const Attrs& a, const Tensor* in, Tensor* out) { ref_reshape(a, in, out); }

}  // namespace

void register_movement_reference(OpTable& t) {
  for (auto [name, fn] : {std::pair<const char*, KernelFn>{"reshape", ref_reshape},
                          {"broadcast_to", ref_broadcast_to},
                          {"transpose", ref_transpose},
                          {"slice", ref_slice},
                          {"slice_backward", ref_slice_backward},
                          {"concat", ref_concat},
                          {"pad", ref_pad},
                          {"copy", ref_copy}})
    t.set_kernel(name, Backend::kReference, stateless_kernel(fn));
}

}  // namespace kiln
