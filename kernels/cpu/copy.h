// Parallel copies and fills for CPU kernels that move data (movement and
// index families). They never allocate.
#pragma once

#include "kernels/core/tensor.h"

namespace kiln {
namespace cpu {

// Copies src into dst element by element: same shape and dtype, any strides
// on either side (zero strides in src broadcast, negative ones reverse).
// Contiguous runs are memcpy'd; a transposing copy goes through 32 x 32 tiles.
void strided_copy(const Tensor& src, const Tensor& dst);

// Sets every element of dst (any strides) to value, cast to dst's dtype.
void fill(const Tensor& dst, double value);

}  // namespace cpu
}  // namespace kiln
