// The CPU allocator: 64-byte aligned blocks, cached by size class and reused.
// Freed blocks go back to a free list rather than to glibc, so eager training
// does not pay for the OS unmapping and re-faulting large buffers every step.
#pragma once

#include <cstddef>

namespace kiln {

struct AllocatorStats {
  size_t allocated_bytes = 0;  // handed out now
  size_t cached_bytes = 0;     // freed and kept for reuse
  size_t peak_bytes = 0;       // max allocated_bytes so far
  size_t system_allocs = 0;    // requests that reached the system allocator
};

class CpuAllocator {
 public:
  static constexpr size_t kAlignment = 64;
  static CpuAllocator& instance();

  void* allocate(size_t nbytes);  // never returns null; throws on exhaustion
  void deallocate(void* ptr, size_t nbytes);
  void empty_cache();  // returns every cached block to the system
  AllocatorStats stats() const;

  // The size class a request of `nbytes` is served from.
  static size_t round_size(size_t nbytes);

 private:
  CpuAllocator();
  struct Impl;
  Impl* impl_;
};

}  // namespace kiln
