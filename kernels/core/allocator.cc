#include "kernels/core/allocator.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "kernels/core/error.h"

namespace kiln {

struct CpuAllocator::Impl {
  static constexpr size_t kSmallClasses = 4096 / kAlignment + 1;
  std::mutex mutex;
  std::vector<void*> small_blocks[kSmallClasses];  // size / kAlignment -> blocks
  std::unordered_map<size_t, std::vector<void*>> large_blocks;  // size class -> blocks
  AllocatorStats stats;

  std::vector<void*>& blocks(size_t size) {
    return size <= 4096 ? small_blocks[size / kAlignment] : large_blocks[size];
  }
};

CpuAllocator& CpuAllocator::instance() {
  // Leaked on purpose: tensors held by Python may be freed after static destruction.
  static CpuAllocator* allocator = new CpuAllocator();
  return *allocator;
}

CpuAllocator::CpuAllocator() : impl_(new Impl()) {}

size_t CpuAllocator::round_size(size_t nbytes) {
  if (nbytes <= 4096) return (std::max<size_t>(nbytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  // Above 4 KiB: four classes per power of two, so waste stays under 25%.
  size_t power = 4096;
  while (power * 2 < nbytes && power < (size_t{1} << 62)) power *= 2;
  const size_t step = power / 4;
  return (nbytes + step - 1) / step * step;
}

void* CpuAllocator::allocate(size_t nbytes) {
  const size_t size = round_size(nbytes);
  Impl* s = impl_;
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    std::vector<void*>& blocks = s->blocks(size);
    if (!blocks.empty()) {
      void* ptr = blocks.back();
      blocks.pop_back();
      s->stats.cached_bytes -= size;
      s->stats.allocated_bytes += size;
      s->stats.peak_bytes = std::max(s->stats.peak_bytes, s->stats.allocated_bytes);
      return ptr;
    }
    s->stats.allocated_bytes += size;
    s->stats.peak_bytes = std::max(s->stats.peak_bytes, s->stats.allocated_bytes);
    ++s->stats.system_allocs;
  }
  void* ptr = std::aligned_alloc(kAlignment, size);
  if (ptr == nullptr) {
    empty_cache();
    ptr = std::aligned_alloc(kAlignment, size);
  }
  if (ptr == nullptr) {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->stats.allocated_bytes -= size;
    throw_error(ErrorKind::kRuntime, "out of memory allocating ", nbytes, " bytes");
  }
  return ptr;
}

void CpuAllocator::deallocate(void* ptr, size_t nbytes) {
  if (ptr == nullptr) return;
  const size_t size = round_size(nbytes);
  Impl* s = impl_;
  std::lock_guard<std::mutex> lock(s->mutex);
  s->blocks(size).push_back(ptr);
  s->stats.allocated_bytes -= size;
  s->stats.cached_bytes += size;
}

void CpuAllocator::empty_cache() {
  Impl* s = impl_;
  std::lock_guard<std::mutex> lock(s->mutex);
  for (auto& blocks : s->small_blocks) {
    for (void* p : blocks) std::free(p);
    blocks.clear();
  }
  for (auto& [size, blocks] : s->large_blocks)
    for (void* p : blocks) std::free(p);
  s->large_blocks.clear();
  s->stats.cached_bytes = 0;
}

AllocatorStats CpuAllocator::stats() const {
  Impl* s = impl_;
  std::lock_guard<std::mutex> lock(s->mutex);
  return s->stats;
}

}  // namespace kiln
