#include "kernels/core/storage.h"

#include "kernels/core/allocator.h"

namespace kiln {

std::shared_ptr<Storage> Storage::allocate(size_t nbytes) {
  void* data = CpuAllocator::instance().allocate(nbytes);
  return std::make_shared<Storage>(Private{}, data, nbytes, nullptr);
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes, std::shared_ptr<void> owner) {
  return std::make_shared<Storage>(Private{}, data, nbytes, std::move(owner));
}

Storage::~Storage() {
  if (owner_ == nullptr) CpuAllocator::instance().deallocate(data_, nbytes_);
}

}  // namespace kiln
