#include "kernels/core/allocator.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(CpuAllocator, BlocksAreAlignedAndReused) {
  auto& alloc = CpuAllocator::instance();
  void* a = alloc.allocate(1000);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % CpuAllocator::kAlignment, 0u);
  alloc.deallocate(a, 1000);
  const size_t system_before = alloc.stats().system_allocs;
  void* b = alloc.allocate(990);  // same size class
  EXPECT_EQ(a, b);
  EXPECT_EQ(alloc.stats().system_allocs, system_before);
  alloc.deallocate(b, 990);
}

TEST(CpuAllocator, SizeClassesBoundWaste) {
  for (size_t n : {1ul, 63ul, 64ul, 4097ul, 100000ul, 12345678ul}) {
    const size_t r = CpuAllocator::round_size(n);
    EXPECT_GE(r, n);
    EXPECT_LE(r, n + n / 4 + 64);
    EXPECT_EQ(r % CpuAllocator::kAlignment, 0u);
  }
}

TEST(CpuAllocator, EmptyCacheDropsCachedBytes) {
  auto& alloc = CpuAllocator::instance();
  alloc.deallocate(alloc.allocate(1 << 20), 1 << 20);
  EXPECT_GT(alloc.stats().cached_bytes, 0u);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().cached_bytes, 0u);
}

}  // namespace
}  // namespace kiln
