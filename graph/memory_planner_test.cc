#include "graph/memory_planner.h"

#include <random>

#include <gtest/gtest.h>

#include "kernels/core/error.h"

namespace kiln {
namespace graph {
namespace {

TEST(MemoryPlanner, RandomLifetimesNeverOverlapAndBeatTheNaiveSum) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    const int steps = 1 + static_cast<int>(rng() % 40);
    const int count = static_cast<int>(rng() % 60);
    std::vector<BufferRequest> buffers;
    for (int i = 0; i < count; ++i) {
      const int first = static_cast<int>(rng() % steps);
      const int last = first + static_cast<int>(rng() % (steps - first));
      // Sizes from 0 to ~64 KiB, mostly unaligned.
      const size_t size = rng() % 4 == 0 ? rng() % 100 : rng() % 65536;
      buffers.push_back({size, first, last});
    }
    const MemoryPlan plan = plan_memory(buffers);
    ASSERT_NO_THROW(check_plan(buffers, plan)) << "trial " << trial;
    EXPECT_LE(plan.peak_bytes, naive_bytes(buffers));
    // Never below the largest set of buffers live at one step.
    for (int s = 0; s < steps; ++s) {
      size_t live = 0;
      for (const BufferRequest& b : buffers)
        if (b.first_use <= s && s <= b.last_use) live += b.size;
      EXPECT_GE(plan.peak_bytes, live);
    }
  }
}

TEST(MemoryPlanner, SequentialBuffersShareOneSlot) {
  const std::vector<BufferRequest> chain = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  const MemoryPlan plan = plan_memory(chain);
  check_plan(chain, plan);
  EXPECT_EQ(plan.peak_bytes, 2048u);  // two 1024-byte slots, alternating
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
  EXPECT_EQ(plan.offsets[1], plan.offsets[3]);
  EXPECT_EQ(naive_bytes(chain), 4096u);
}

TEST(MemoryPlanner, PicksTheSmallestGapThatFits) {
  // Largest first: 0 @ 0, 1 @ 1024, 2 @ 1536, 3 @ 1792. At step 1 only 1 and
  // 3 are live, leaving gaps [0, 1024) and [1536, 1792); buffer 4 fits both
  // and best fit takes the tighter one (first fit would take 0).
  const std::vector<BufferRequest> b = {
      {1024, 0, 0}, {512, 0, 1}, {256, 0, 0}, {128, 0, 1}, {64, 1, 1}};
  const MemoryPlan plan = plan_memory(b);
  check_plan(b, plan);
  EXPECT_EQ(plan.offsets, (std::vector<size_t>{0, 1024, 1536, 1792, 1536}));
  EXPECT_EQ(plan.peak_bytes, 1920u);
}

TEST(MemoryPlanner, OffsetsAreAlignedAndEmptyBuffersAreFine) {
  const std::vector<BufferRequest> b = {{1, 0, 0}, {0, 0, 0}, {65, 0, 0}, {3, 0, 0}};
  const MemoryPlan plan = plan_memory(b);
  check_plan(b, plan);
  for (size_t off : plan.offsets) EXPECT_EQ(off % kArenaAlignment, 0u);
  EXPECT_EQ(plan.peak_bytes, 128u + 64u + 64u);
  EXPECT_EQ(plan_memory({}).peak_bytes, 0u);
}

TEST(MemoryPlanner, RejectsBadLifetimesAndCatchesBadPlans) {
  EXPECT_THROW(plan_memory({{8, 3, 2}}), Error);
  const std::vector<BufferRequest> b = {{100, 0, 2}, {100, 1, 3}};
  MemoryPlan overlapping{{0, 64}, 256};
  try {
    check_plan(b, overlapping);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("overlap"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_plan(b, MemoryPlan{{0, 100}, 256}), Error);  // misaligned
}

}  // namespace
}  // namespace graph
}  // namespace kiln
