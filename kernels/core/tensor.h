// The Tensor value: a typed, strided view of a Storage. Copying a Tensor
// shares the storage; views (reshape, permute, slice, broadcast) never copy.
#pragma once

#include <memory>
#include <string>

#include "kernels/core/dtype.h"
#include "kernels/core/shape.h"
#include "kernels/core/storage.h"

namespace kiln {

// What an op's output inference sees and produces.
struct TensorMeta {
  DType dtype = DType::kFloat32;
  Shape shape;
  bool operator==(const TensorMeta& o) const { return dtype == o.dtype && shape == o.shape; }
  bool operator!=(const TensorMeta& o) const { return !(*this == o); }
  std::string str() const;  // "float32(2, 3)"
};

class Tensor {
 public:
  Tensor() = default;  // undefined
  Tensor(std::shared_ptr<Storage> storage, DType dtype, const Shape& shape,
         const Strides& strides, int64_t offset);
  static Tensor empty(const Shape& shape, DType dtype);
  static Tensor empty(const TensorMeta& meta) { return empty(meta.shape, meta.dtype); }

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int rank() const { return shape_.rank(); }
  int64_t numel() const { return shape_.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  TensorMeta meta() const { return {dtype_, shape_}; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Address of the first element (after the view's offset).
  void* raw_data() const {
    return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(dtype_size(dtype_));
  }
  template <typename T> T* data() const { return static_cast<T*>(raw_data()); }

  bool is_contiguous() const;
  bool shares_storage(const Tensor& other) const { return storage_ == other.storage_; }

  // Views. They throw ValueError/IndexError on invalid arguments.
  Tensor reshape_view(const Shape& shape) const;  // requires is_contiguous()
  Tensor permute(const Dims& axes) const;
  Tensor slice(int axis, int64_t start, int64_t stop, int64_t step) const;
  Tensor select(int axis, int64_t index) const;  // drops the axis
  Tensor broadcast_view(const Shape& shape) const;
  Tensor with_meta_of(const Shape& shape, const Strides& strides, int64_t offset) const;

  Tensor contiguous() const;  // self if already contiguous, else a packed copy
  Tensor clone() const;       // always a packed copy

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::kFloat32;
  Shape shape_;
  Strides strides_;
  int64_t offset_ = 0;
};

// Copies src into dst element by element (same shape and dtype, any strides).
void copy_strided(const Tensor& src, const Tensor& dst);

}  // namespace kiln
