#include "kernels/core/allocator.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "kernels/core/error.h"

namespace kiln {

struct CpuAllocator::Impl {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // size class -> blocks
  AllocatorStats stats;
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
  while (power * 2 < nbytes) power *= 2;
  const size_t step = power / 4;
  return (nbytes + step - 1) / step * step;
}

void* CpuAllocator::allocate(size_t nbytes) {
  const size_t size = round_size(nbytes);
  Impl* s = impl_;
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    auto it = s->free_blocks.find(size);
    if (it != s->free_blocks.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
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
  KILN_CHECK(ptr != nullptr, kRuntime, "out of memory allocating ", nbytes, " bytes");
  return ptr;
}

void CpuAllocator::deallocate(void* ptr, size_t nbytes) {
  if (ptr == nullptr) return;
  const size_t size = round_size(nbytes);
  Impl* s = impl_;
  std::lock_guard<std::mutex> lock(s->mutex);
  s->free_blocks[size].push_back(ptr);
  s->stats.allocated_bytes -= size;
  s->stats.cached_bytes += size;
}

void CpuAllocator::empty_cache() {
  Impl* s = impl_;
  std::lock_guard<std::mutex> lock(s->mutex);
  for (auto& [size, blocks] : s->free_blocks)
    for (void* p : blocks) std::free(p);
  s->free_blocks.clear();
  s->stats.cached_bytes = 0;
}

AllocatorStats CpuAllocator::stats() const {
  Impl* s = impl_;
  std::lock_guard<std::mutex> lock(s->mutex);
  return s->stats;
}

}  // namespace kiln
