#include "graph/memory_planner.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <sstream>

#include "kernels/core/error.h"

namespace kiln {
namespace graph {
namespace {

size_t aligned(size_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

bool live_together(const BufferRequest& a, const BufferRequest& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}

}  // namespace

std::string MemoryPlan::str() const {
  std::ostringstream os;
  for (size_t i = 0; i < offsets.size(); ++i) os << "buffer " << i << " @ " << offsets[i] << "\n";
  os << "peak " << peak_bytes << " bytes\n";
  return os.str();
}

MemoryPlan plan_memory(const std::vector<BufferRequest>& buffers) {
  for (size_t i = 0; i < buffers.size(); ++i)
    KILN_CHECK(buffers[i].first_use <= buffers[i].last_use, kValue, "memory planner: buffer ", i,
               " is last used at step ", buffers[i].last_use, " before its first use at step ",
               buffers[i].first_use);
  // Largest first; ties by first use, then index, so plans are deterministic.
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].size != buffers[b].size) return buffers[a].size > buffers[b].size;
    return buffers[a].first_use < buffers[b].first_use;
  });
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> placed;
  struct Span {
    size_t begin, end;
  };
  std::vector<Span> busy;
  for (size_t i : order) {
    const size_t size = aligned(buffers[i].size);
    busy.clear();
    for (size_t j : placed)
      if (live_together(buffers[i], buffers[j]))
        busy.push_back({plan.offsets[j], plan.offsets[j] + aligned(buffers[j].size)});
    std::sort(busy.begin(), busy.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    // Best fit: the smallest gap that holds the buffer; else above the top.
    size_t best = 0, best_gap = SIZE_MAX, cursor = 0;
    bool found = false;
    for (const Span& s : busy) {
      if (s.begin > cursor) {
        const size_t gap = s.begin - cursor;
        if (gap >= size && gap < best_gap) {
          best = cursor, best_gap = gap, found = true;
        }
      }
      cursor = std::max(cursor, s.end);
    }
    plan.offsets[i] = found ? best : cursor;
    plan.peak_bytes = std::max(plan.peak_bytes, plan.offsets[i] + buffers[i].size);
    placed.push_back(i);
  }
  plan.peak_bytes = aligned(plan.peak_bytes);
  return plan;
}

size_t naive_bytes(const std::vector<BufferRequest>& buffers) {
  size_t total = 0;
  for (const BufferRequest& b : buffers) total += aligned(b.size);
  return total;
}

void check_plan(const std::vector<BufferRequest>& buffers, const MemoryPlan& plan) {
  KILN_CHECK(plan.offsets.size() == buffers.size(), kRuntime, "memory plan has ",
             plan.offsets.size(), " offsets for ", buffers.size(), " buffers");
  for (size_t i = 0; i < buffers.size(); ++i) {
    KILN_CHECK(plan.offsets[i] % kArenaAlignment == 0, kRuntime, "memory plan: buffer ", i,
               " is at offset ", plan.offsets[i], ", not a multiple of ", kArenaAlignment);
    KILN_CHECK(plan.offsets[i] + buffers[i].size <= plan.peak_bytes, kRuntime,
               "memory plan: buffer ", i, " ends past the peak ", plan.peak_bytes);
    for (size_t j = 0; j < i; ++j) {
      if (!live_together(buffers[i], buffers[j]) || buffers[i].size == 0 || buffers[j].size == 0)
        continue;
      const size_t a = plan.offsets[i], b = plan.offsets[j];
      KILN_CHECK(a + buffers[i].size <= b || b + buffers[j].size <= a, kRuntime,
                 "memory plan: buffers ", j, " [", b, ", ", b + buffers[j].size, ") and ", i, " [",
                 a, ", ", a + buffers[i].size, ") overlap while both live (steps ",
                 buffers[j].first_use, "-", buffers[j].last_use, " and ", buffers[i].first_use,
                 "-", buffers[i].last_use, ")");
    }
  }
}

}  // namespace graph
}  // namespace kiln
