// A block of bytes that tensors view. Either from the CPU allocator, or
// borrowed from an outside owner (a numpy array) that is kept alive.
#pragma once

#include <cstddef>
#include <memory>

namespace kiln {

class Storage {
 public:
  static std::shared_ptr<Storage> allocate(size_t nbytes);
  static std::shared_ptr<Storage> borrow(void* data, size_t nbytes, std::shared_ptr<void> owner);
  // Pass-key: only Storage names it, yet make_shared can build the object
  // and its control block in one allocation.
  class Private {
    friend class Storage;
    Private() = default;
  };
  Storage(Private, void* data, size_t nbytes, std::shared_ptr<void> owner)
      : data_(data), nbytes_(nbytes), owner_(std::move(owner)) {}
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  bool is_borrowed() const { return owner_ != nullptr; }

 private:
  void* data_;
  size_t nbytes_;
  std::shared_ptr<void> owner_;  // null: data_ belongs to CpuAllocator
};

}  // namespace kiln
