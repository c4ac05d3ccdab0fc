// Reference kernels of the index family: one plain loop over the index (or
// output) positions in row-major order, multi-indices spelled out. Scatters
// visit index positions in row-major order, which defines the result of
// repeated targets. The oracle for tests.
#include "kernels/ops/index.h"

#include <cstring>

#include "kernels/core/error.h"
#include "kernels/reference/index_math.h"

namespace kiln {
namespace {

using reference::offset_of;
using reference::unravel;

int axis_of(const Attrs& a, int rank) {
  const int64_t axis = a.get_int("axis");
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// IndexError unless lo <= index < hi; `axis` < 0: one_hot's classes.
void check(const char* op, const Tensor& index, int64_t lo, int64_t hi, int axis, const Tensor& x) {
  const int64_t at = first_bad_index(index, lo, hi);
  if (at < 0) return;
  throw_bad_index(op, index, at, lo, hi,
                  axis < 0 ? str_cat("num_classes ", hi)
                           : str_cat("axis ", axis, " of an input of shape ", x.shape().str()));
}

void copy_element(const Tensor& src, int64_t src_offset, const Tensor& dst, int64_t dst_offset) {
  const int64_t size = static_cast<int64_t>(dtype_size(src.dtype()));
  std::memcpy(static_cast<char*>(dst.raw_data()) + dst_offset * size,
              static_cast<const char*>(src.raw_data()) + src_offset * size, size);
}

void add_element(const Tensor& src, int64_t src_offset, const Tensor& dst, int64_t dst_offset) {
  if (dst.dtype() == DType::kInt32) {  // wraps modulo 2^32
    int32_t& d = dst.data<int32_t>()[dst_offset];
    d = int32_t(uint32_t(d) + uint32_t(src.data<int32_t>()[src_offset]));
  } else {
    dst.data<float>()[dst_offset] += src.data<float>()[src_offset];
  }
}

void ref_gather(const Attrs& a, const Tensor* in, Tensor* out) {
  const Tensor &x = in[0], &index = in[1];
  const int axis = axis_of(a, x.rank());
  check("gather", index, 0, x.shape()[axis], axis, x);
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < index.numel(); ++i) {  // out[idx] = x[idx with idx[axis] = index[idx]]
    unravel(index.shape(), i, idx);
    idx[axis] = index.data<int32_t>()[i];
    copy_element(x, offset_of(x, idx), out[0], i);
  }
}

template <bool kAdd>
void ref_scatter(const Attrs& a, const Tensor* in, Tensor* out) {
  const Tensor &x = in[0], &index = in[1], &src = in[2];
  const int axis = axis_of(a, x.rank());
  check(kAdd ? "scatter_add" : "scatter", index, 0, x.shape()[axis], axis, x);
  std::memcpy(out[0].raw_data(), x.raw_data(), x.nbytes());
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < index.numel(); ++i) {  // out[idx with index[idx] on the axis] = src[idx]
    unravel(index.shape(), i, idx);
    const int64_t from = offset_of(src, idx);
    idx[axis] = index.data<int32_t>()[i];
    if (kAdd)
      add_element(src, from, out[0], offset_of(out[0], idx));
    else
      copy_element(src, from, out[0], offset_of(out[0], idx));
  }
}

void ref_index_select(const Attrs& a, const Tensor* in, Tensor* out) {
  const Tensor &x = in[0], &index = in[1];
  const int axis = axis_of(a, x.rank());
  const int64_t n = x.shape()[axis];
  check("index_select", index, -n, n, axis, x);
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < out[0].numel(); ++i) {  // out[.., k, ..] = x[.., index[k], ..]
    unravel(out[0].shape(), i, idx);
    const int32_t v = index.data<int32_t>()[idx[axis]];
    idx[axis] = v < 0 ? v + n : v;
    copy_element(x, offset_of(x, idx), out[0], i);
  }
}

void ref_index_add(const Attrs& a, const Tensor* in, Tensor* out) {
  const Tensor &base = in[0], &index = in[1], &src = in[2];
  const int axis = axis_of(a, base.rank());
  const int64_t n = base.shape()[axis];
  check("index_add", index, -n, n, axis, base);
  std::memcpy(out[0].raw_data(), base.raw_data(), base.nbytes());
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < src.numel(); ++i) {  // out[.., index[k], ..] += src[.., k, ..]
    unravel(src.shape(), i, idx);
    const int32_t v = index.data<int32_t>()[idx[axis]];
    idx[axis] = v < 0 ? v + n : v;
    add_element(src, i, out[0], offset_of(out[0], idx));
  }
}

void ref_one_hot(const Attrs& a, const Tensor* in, Tensor* out) {
  const int64_t classes = a.get_int("num_classes");
  check("one_hot", in[0], 0, classes, -1, in[0]);
  for (int64_t i = 0; i < out[0].numel(); ++i)
    out[0].data<float>()[i] = in[0].data<int32_t>()[i / classes] == i % classes ? 1.0f : 0.0f;
}

}  // namespace

void register_index_reference(OpTable& t) {
  for (auto [name, fn] : {std::pair<const char*, KernelFn>{"gather", ref_gather},
                          {"scatter", ref_scatter<false>},
                          {"scatter_add", ref_scatter<true>},
                          {"index_select", ref_index_select},
                          {"index_add", ref_index_add},
                          {"one_hot", ref_one_hot}})
    t.set_kernel(name, Backend::kReference, stateless_kernel(fn));
}

}  // namespace kiln
