// The activation layout of the spatial ops (conv2d, the pools and their
// backward ops): their "format" attribute, "NCHW" (the default: kiln's and
// MegEngine's public layout) or "NHWC" (channels last). The CPU lowering
// (graph::ChannelsLastLayout) picks NHWC so that oneDNN reads and writes
// kiln's packed tensors without reordering them. Tensor shapes follow the
// format; the geometry structs hold logical (n, c, h, w) sizes either way.
// Weights stay OIHW in both.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attrs.h"
#include "kernels/core/shape.h"

namespace kiln {

struct OpDef;

enum class Layout { kNCHW, kNHWC };
const char* layout_name(Layout layout);

// attrs' "format"; anything but "NCHW" or "NHWC" is a ValueError naming op.
Layout read_layout(const OpDef& op, const Attrs& attrs);

// Logical sizes of a 4-d activation, read from / written to a shape in a layout.
struct Nchw {
  int64_t n, c, h, w;
};
Nchw nchw_of(Layout layout, const Shape& shape);  // shape: rank 4
Shape shape_of(Layout layout, const Nchw& d);

// Offset of element (n, c, h, w) of a packed tensor with sizes d in layout.
inline int64_t layout_offset(Layout layout, const Nchw& d, int64_t n, int64_t c, int64_t h,
                             int64_t w) {
  return layout == Layout::kNCHW ? ((n * d.c + c) * d.h + h) * d.w + w
                                 : ((n * d.h + h) * d.w + w) * d.c + c;
}

// The transpose permutation taking an NCHW tensor to `layout`, and back.
std::vector<int64_t> nchw_to(Layout layout);
std::vector<int64_t> to_nchw(Layout layout);

}  // namespace kiln
