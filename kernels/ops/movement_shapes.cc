// Shape helpers of the movement family shared by inference, views and
// kernels (declared in kernels/ops/movement.h).
#include <algorithm>

#include "kernels/core/error.h"
#include "kernels/infer_util.h"
#include "kernels/ops/axis_util.h"
#include "kernels/ops/movement.h"

namespace kiln {

Shape resolve_reshape(const std::string& op, const Shape& in, const std::vector<int64_t>& shape) {
  Shape out(shape);
  int inferred = -1;
  int64_t known = 1;
  for (int d = 0; d < out.rank(); ++d) {
    if (out[d] == -1) {
      KILN_CHECK(inferred < 0, kValue, op, ": shape ", ints_str(shape),
                 " has more than one -1; expected at most one inferred dimension");
      inferred = d;
    } else {
      KILN_CHECK(out[d] >= 0, kValue, op, ": invalid dimension ", out[d], " in shape ",
                 ints_str(shape), "; expected sizes >= 0 or a single -1");
      known = checked_mul(op, "the product of the known dimensions", known, out[d]);
    }
  }
  const bool ok = inferred < 0 ? known == in.numel() : known != 0 && in.numel() % known == 0;
  KILN_CHECK(ok, kValue, op, ": cannot reshape an input of shape ", in.str(), " (", in.numel(),
             " elements) to ", ints_str(shape), "; expected the same number of elements",
             inferred < 0 ? "" : " (and a product of the known dimensions that divides it)");
  if (inferred >= 0) out[inferred] = in.numel() / known;
  return out;
}

SliceSpec slice_spec(const std::string& op, const Attrs& attrs, const Shape& shape) {
  const std::vector<int64_t>& axes = attrs.get_ints("axes");
  const std::vector<int64_t>& starts = attrs.get_ints("starts");
  const std::vector<int64_t>& stops = attrs.get_ints("stops");
  const std::vector<int64_t>& steps = attrs.get_ints("steps");
  KILN_CHECK(starts.size() == axes.size() && stops.size() == axes.size() &&
                 (steps.empty() || steps.size() == axes.size()),
             kValue, op, ": axes ", ints_str(axes), ", starts ", ints_str(starts), ", stops ",
             ints_str(stops), " and steps ", ints_str(steps),
             " have different lengths; expected one entry per axis (steps may be empty)");
  SliceSpec s;
  s.out = shape;
  bool seen[kMaxRank] = {};
  for (int d = 0; d < shape.rank(); ++d) {
    KILN_CHECK(shape[d] >= 0, kValue, op, ": slicing shape ", shape.str(),
               " has a negative dimension; expected sizes >= 0");
    s.start[d] = 0;
    s.stop[d] = shape[d];
    s.step[d] = 1;
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    const int d = checked_axis(op, axes[i], shape);
    KILN_CHECK(!seen[d], kValue, op, ": axis ", axes[i], " repeats in axes ", ints_str(axes),
               "; expected distinct axes");
    seen[d] = true;
    const int64_t step = steps.empty() ? 1 : steps[i], n = shape[d];
    const int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
    KILN_CHECK(step != 0, kValue, op, ": step 0 for axis ", d, "; expected a non-zero step");
    KILN_CHECK(starts[i] >= lo && starts[i] <= hi && stops[i] >= lo && stops[i] <= hi, kValue, op,
               ": start ", starts[i], " / stop ", stops[i], " (step ", step, ") for axis ", d,
               " of an input of shape ", shape.str(), " are not normalized; expected ", lo,
               " <= start, stop <= ", hi, " (as Python's slice.indices gives them)");
    s.start[d] = starts[i];
    s.stop[d] = stops[i];
    s.step[d] = step;
    s.out[d] = slice_length(starts[i], stops[i], step);
  }
  return s;
}

Tensor slice_view(const Tensor& t, const SliceSpec& spec) {
  Tensor out = t;
  for (int d = 0; d < t.rank(); ++d)
    if (spec.start[d] != 0 || spec.stop[d] != t.shape()[d] || spec.step[d] != 1)
      out = out.slice(d, spec.start[d], spec.stop[d], spec.step[d]);
  return out;
}

}  // namespace kiln
