// The memory planner (TFLite Micro's greedy planner): it sees buffers as
// lifetimes, not graphs. Each buffer has a size and the first and last step
// (inclusive) it is live; two buffers whose lifetimes overlap never share
// bytes. Greedy best-fit: buffers are placed largest first, each into the
// smallest gap between already placed buffers that are live at the same time
// (or above them all), at 64-byte aligned offsets in one arena.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kiln {
namespace graph {

constexpr size_t kArenaAlignment = 64;

struct BufferRequest {
  size_t size = 0;     // bytes
  int first_use = 0;   // step that writes it
  int last_use = 0;    // last step that reads it (>= first_use)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request, multiples of kArenaAlignment
  size_t peak_bytes = 0;        // arena size: max over buffers of offset + size
  std::string str() const;      // one line per buffer, then the peak
};

// Throws ValueError for a request with last_use < first_use.
MemoryPlan plan_memory(const std::vector<BufferRequest>& buffers);

// Bytes without any sharing: the sum of the sizes, each rounded up to the
// alignment. Every plan's peak is at most this.
size_t naive_bytes(const std::vector<BufferRequest>& buffers);

// Checks a plan: offsets aligned, and no two buffers live at the same step
// overlap in memory; throws RuntimeError naming the pair.
void check_plan(const std::vector<BufferRequest>& buffers, const MemoryPlan& plan);

}  // namespace graph
}  // namespace kiln
