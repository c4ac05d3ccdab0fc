#include "kernels/core/tensor.h"

#include <cstring>

#include "kernels/core/error.h"

namespace kiln {

std::string TensorMeta::str() const { return str_cat(dtype_name(dtype), shape.str()); }

Tensor::Tensor(std::shared_ptr<Storage> storage, DType dtype, const Shape& shape,
               const Strides& strides, int64_t offset)
    : storage_(std::move(storage)), dtype_(dtype), shape_(shape), strides_(strides), offset_(offset) {}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  const size_t nbytes = static_cast<size_t>(checked_numel(shape, dtype_size(dtype))) * dtype_size(dtype);
  return Tensor(Storage::allocate(nbytes), dtype, shape, contiguous_strides(shape), 0);
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int i = rank() - 1; i >= 0; --i) {
    if (shape_[i] == 1) continue;
    if (shape_[i] == 0) return true;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

Tensor Tensor::with_meta_of(const Shape& shape, const Strides& strides, int64_t offset) const {
  return Tensor(storage_, dtype_, shape, strides, offset);
}

Tensor Tensor::reshape_view(const Shape& shape) const {
  KILN_CHECK(shape.numel() == numel(), kValue, "reshape: cannot reshape a tensor of shape ",
             shape_.str(), " (", numel(), " elements) to ", shape.str(), " (", shape.numel(),
             " elements)");
  KILN_CHECK(is_contiguous(), kRuntime, "reshape_view needs a contiguous tensor");
  return with_meta_of(shape, contiguous_strides(shape), offset_);
}

Tensor Tensor::permute(const Dims& axes) const {
  KILN_CHECK(axes.rank() == rank(), kValue, "transpose: got ", axes.rank(),
             " axes for a tensor of shape ", shape_.str(), "; expected ", rank());
  Shape shape = Dims::filled(rank(), 0);
  Strides strides = Dims::filled(rank(), 0);
  bool seen[kMaxRank] = {};
  for (int i = 0; i < rank(); ++i) {
    const int a = normalize_axis(axes[i], rank(), "transpose");
    KILN_CHECK(!seen[a], kValue, "transpose: axis ", a, " repeats in ", axes.str(),
               "; expected a permutation of 0..", rank() - 1);
    seen[a] = true;
    shape[i] = shape_[a];
    strides[i] = strides_[a];
  }
  return with_meta_of(shape, strides, offset_);
}

Tensor Tensor::slice(int axis, int64_t start, int64_t stop, int64_t step) const {
  KILN_CHECK(step != 0, kValue, "slice: step must not be zero");
  Shape shape = shape_;
  Strides strides = strides_;
  const int64_t n = slice_length(start, stop, step);
  shape[axis] = n;
  // With one element or none the step is never taken (and may be huge).
  if (n > 1) strides[axis] = strides_[axis] * step;
  return with_meta_of(shape, strides, n == 0 ? offset_ : offset_ + start * strides_[axis]);
}

Tensor Tensor::select(int axis, int64_t index) const {
  KILN_CHECK(index >= -shape_[axis] && index < shape_[axis], kIndex, "index ", index,
             " is out of bounds for axis ", axis, " with size ", shape_[axis]);
  if (index < 0) index += shape_[axis];
  Shape shape = shape_;
  Strides strides = strides_;
  shape.erase(axis);
  strides.erase(axis);
  return with_meta_of(shape, strides, offset_ + index * strides_[axis]);
}

Tensor Tensor::broadcast_view(const Shape& shape) const {
  KILN_CHECK(shape.rank() >= rank(), kValue, "broadcast_to: cannot broadcast shape ",
             shape_.str(), " to ", shape.str(), " of lower rank");
  Strides strides = Dims::filled(shape.rank(), 0);
  const int lead = shape.rank() - rank();
  for (int i = 0; i < rank(); ++i) {
    KILN_CHECK(shape_[i] == shape[lead + i] || shape_[i] == 1, kValue,
               "broadcast_to: cannot broadcast shape ", shape_.str(), " to ", shape.str(),
               " (dimension ", lead + i, ": ", shape_[i], " vs ", shape[lead + i], ")");
    strides[lead + i] = shape_[i] == 1 ? 0 : strides_[i];
  }
  return with_meta_of(shape, strides, offset_);
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape_, dtype_);
  copy_strided(*this, out);
  return out;
}

namespace {
// Walks all indices of `shape` in row-major order, calling fn(src_off, dst_off).
template <typename Fn>
void for_each_offset(const Shape& shape, const Strides& a, const Strides& b, Fn&& fn) {
  const int rank = shape.rank();
  if (shape.numel() == 0) return;
  if (rank == 0) return fn(0, 0);
  int64_t idx[kMaxRank] = {};
  int64_t oa = 0, ob = 0;
  const int last = rank - 1;
  while (true) {
    for (int64_t i = 0; i < shape[last]; ++i) fn(oa + i * a[last], ob + i * b[last]);
    int d = last - 1;
    for (; d >= 0; --d) {
      oa += a[d];
      ob += b[d];
      if (++idx[d] < shape[d]) break;
      oa -= a[d] * shape[d];
      ob -= b[d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}
}  // namespace

void copy_strided(const Tensor& src, const Tensor& dst) {
  KILN_CHECK(src.shape() == dst.shape() && src.dtype() == dst.dtype(), kRuntime,
             "copy_strided: mismatched tensors ", src.meta().str(), " and ", dst.meta().str());
  if (src.is_contiguous() && dst.is_contiguous()) {
    if (src.nbytes() > 0) std::memmove(dst.raw_data(), src.raw_data(), src.nbytes());
    return;
  }
  const size_t size = dtype_size(src.dtype());
  const char* s = static_cast<const char*>(src.raw_data());
  char* d = static_cast<char*>(dst.raw_data());
  for_each_offset(src.shape(), src.strides(), dst.strides(), [&](int64_t so, int64_t dof) {
    std::memcpy(d + dof * static_cast<int64_t>(size), s + so * static_cast<int64_t>(size), size);
  });
}

}  // namespace kiln
