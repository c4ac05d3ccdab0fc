// Parallel loops for CPU kernels. An `if` clause on `#pragma omp parallel`
// still enters libgomp when false (measured ~0.5 us per call with 2 threads),
// which would dominate small eager ops; these helpers branch around OpenMP
// entirely when the work is small.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace kiln {
namespace cpu {

// Below this many elements of work a loop runs on one thread: forking costs more.
constexpr int64_t kParallelGrain = 1 << 15;

// Calls fn(i) for every i in [0, n); across threads when `parallel`.
template <typename Fn>
void parallel_for(int64_t n, bool parallel, Fn&& fn) {
  if (parallel && n > 1 && omp_get_max_threads() > 1) {
#pragma omp parallel for
    for (int64_t i = 0; i < n; ++i) fn(i);
  } else {
    for (int64_t i = 0; i < n; ++i) fn(i);
  }
}

// Calls fn(begin, end) on contiguous chunks covering [0, n), one per thread
// when `parallel`, so fn's inner loop can vectorize.
template <typename Fn>
void parallel_chunks(int64_t n, bool parallel, Fn&& fn) {
  const int threads = parallel && n > 1 ? omp_get_max_threads() : 1;
  if (threads <= 1) return fn(int64_t{0}, n);
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t chunk = (n + nt - 1) / nt;
    const int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    if (begin < end) fn(begin, end);
  }
}

}  // namespace cpu
}  // namespace kiln
