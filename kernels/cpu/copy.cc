#include "kernels/cpu/copy.h"

#include <algorithm>
#include <cstring>

#include "kernels/core/error.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/ops/elementwise_math.h"

namespace kiln {
namespace cpu {
namespace {

constexpr int64_t kTile = 32;

// The loop's innermost dim moves dst by 1 but src by a stride while another
// dim moves src by 1: copy through tiles over those two dims, so both sides
// read and write whole cache lines. A short innermost dim (NCHW -> NHWC with
// 3 channels) gets tiles as much longer in the other dim, so every tile
// still moves about kTile * kTile elements. Returns false when that does not
// apply.
template <typename T>
bool tiled_copy(const StridedLoop<2>& loop, const T* s, T* d) {
  const int last = loop.rank - 1;
  if (last < 1 || loop.strides[0][last] != 1 || loop.strides[1][last] == 1) return false;
  int p = -1;
  for (int k = 0; k < last; ++k)
    if (loop.strides[1][k] == 1) p = k;
  if (p < 0 || loop.shape[p] < kTile || loop.shape[last] < 2) return false;
  const int64_t np = loop.shape[p], nl = loop.shape[last];
  const int64_t tile_l = std::min(nl, kTile), tile_p = kTile * kTile / tile_l;
  const int64_t tp = (np + tile_p - 1) / tile_p, tl = (nl + tile_l - 1) / tile_l;
  int64_t batch = 1;
  for (int k = 0; k < last; ++k)
    if (k != p) batch *= loop.shape[k];
  const int64_t dp = loop.strides[0][p], sl = loop.strides[1][last];
  parallel_for(batch * tp * tl, batch * np * nl >= kParallelGrain, [&](int64_t task) {
    int64_t b = task / (tp * tl), od = 0, os = 0;
    for (int k = last - 1; k >= 0; --k) {  // the batch dims, all but p and last
      if (k == p) continue;
      const int64_t i = b % loop.shape[k];
      b /= loop.shape[k];
      od += i * loop.strides[0][k];
      os += i * loop.strides[1][k];
    }
    const int64_t p0 = (task / tl % tp) * tile_p, l0 = (task % tl) * tile_l;
    const int64_t p1 = std::min(np, p0 + tile_p), l1 = std::min(nl, l0 + tile_l);
    // Through a buffer: read src lines whole, then write dst lines whole (a
    // direct tile walk thrashes L1 when strides are powers of two).
    T buf[kTile * kTile];
    const int64_t rows = l1 - l0, cols = p1 - p0;  // buf[row * tile_p + col]
    for (int64_t r = 0; r < rows; ++r) {
      const T* in = s + os + (l0 + r) * sl + p0;
      for (int64_t c = 0; c < cols; ++c) buf[r * tile_p + c] = in[c];
    }
    for (int64_t c = 0; c < cols; ++c) {
      T* out = d + od + (p0 + c) * dp + l0;
      for (int64_t r = 0; r < rows; ++r) out[r] = buf[r * tile_p + c];
    }
  });
  return true;
}

template <typename T>
void copy_typed(const Tensor& src, const Tensor& dst) {
  const T* s = static_cast<const T*>(src.raw_data());
  T* d = static_cast<T*>(dst.raw_data());
  const StridedLoop<2> loop(dst.shape(), {&dst.strides(), &src.strides()});
  if (tiled_copy(loop, s, d)) return;
  loop.run(dst.numel(), [&](const int64_t* off, int64_t n, const int64_t* st) {
    T* out = d + off[0];
    const T* in = s + off[1];
    if (st[0] == 1 && st[1] == 1) {
      std::memcpy(out, in, n * sizeof(T));
    } else if (st[0] == 1 && st[1] == 0) {
      std::fill(out, out + n, in[0]);
    } else if (st[0] == 1) {
      for (int64_t i = 0; i < n; ++i) out[i] = in[i * st[1]];
    } else {
      for (int64_t i = 0; i < n; ++i) out[i * st[0]] = in[i * st[1]];
    }
  });
}

}  // namespace

void strided_copy(const Tensor& src, const Tensor& dst) {
  KILN_CHECK(src.shape() == dst.shape() && src.dtype() == dst.dtype(), kRuntime,
             "strided_copy: mismatched tensors ", src.meta().str(), " and ", dst.meta().str());
  if (dst.numel() == 0) return;
  switch (dtype_size(dst.dtype())) {
    case 1:
      return copy_typed<uint8_t>(src, dst);
    case 2:
      return copy_typed<uint16_t>(src, dst);
    case 4:
      return copy_typed<uint32_t>(src, dst);
    default:
      return copy_typed<uint64_t>(src, dst);
  }
}

void fill(const Tensor& dst, double value) {
  dispatch_dtype(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = math::convert<double, T>(value);
    T* d = dst.data<T>();
    const int64_t n = dst.numel();
    if (dst.is_contiguous()) {
      parallel_for(n, n >= 4 * kParallelGrain, [&](int64_t i) { d[i] = v; });
      return;
    }
    StridedLoop<1>(dst.shape(), {&dst.strides()})
        .run(n, [&](const int64_t* off, int64_t len, const int64_t* st) {
          for (int64_t i = 0; i < len; ++i) d[off[0] + i * st[0]] = v;
        });
  });
}

}  // namespace cpu
}  // namespace kiln
