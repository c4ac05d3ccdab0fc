#include "kernels/ops/layout.h"

#include "kernels/core/error.h"
#include "kernels/op_def.h"

namespace kiln {

const char* layout_name(Layout layout) { return layout == Layout::kNCHW ? "NCHW" : "NHWC"; }

Layout read_layout(const OpDef& op, const Attrs& attrs) {
  const std::string& format = attrs.get_string("format");
  if (format == "NCHW") return Layout::kNCHW;
  if (format == "NHWC") return Layout::kNHWC;
  throw_error(ErrorKind::kValue, op.name, ": attribute 'format' is '", format,
              "'; expected 'NCHW' or 'NHWC'");
}

Nchw nchw_of(Layout layout, const Shape& s) {
  return layout == Layout::kNCHW ? Nchw{s[0], s[1], s[2], s[3]} : Nchw{s[0], s[3], s[1], s[2]};
}

Shape shape_of(Layout layout, const Nchw& d) {
  return layout == Layout::kNCHW ? Shape({d.n, d.c, d.h, d.w}) : Shape({d.n, d.h, d.w, d.c});
}

std::vector<int64_t> nchw_to(Layout layout) {
  return layout == Layout::kNCHW ? std::vector<int64_t>{0, 1, 2, 3}
                                 : std::vector<int64_t>{0, 2, 3, 1};
}

std::vector<int64_t> to_nchw(Layout layout) {
  return layout == Layout::kNCHW ? std::vector<int64_t>{0, 1, 2, 3}
                                 : std::vector<int64_t>{0, 3, 1, 2};
}

}  // namespace kiln
